import path from "node:path";
import { compileGlob, type PathMatcher } from "./glob-pattern.js";

interface OverrideGlob {
  exclude: boolean;
  directoryOnly: boolean;
  /** Against the whole worktree-relative path when the glob has a `/`, else against the last segment. */
  anchored: boolean;
  matches: PathMatcher;
}

/**
 * ripgrep's `--glob` and `--type` selection, for searching without ripgrep:
 * - globs follow .gitignore rules: without a `/` one matches a file or
 *   directory name at any depth, with one the path from the repository root;
 *   a leading `!` excludes, and the last glob that matches decides;
 * - once any including glob is given, files matching none are left out;
 * - an excluded directory takes everything below it along;
 * - a file an including glob picks is searched whatever its type.
 * `searchRoot` is the directory searched (worktree-relative, "." for the root):
 * like ripgrep, directories above it are not judged.
 */
export function ripgrepFileFilter(globs: readonly string[], typeGlobs: readonly string[] | undefined, searchRoot: string) {
  const overrides = globs.map(parseOverride);
  const hasIncludes = overrides.some((glob) => !glob.exclude);
  const typeMatchers = typeGlobs?.map((glob) => compileGlob(glob));
  const rootDepth = searchRoot === "." ? 0 : searchRoot.split("/").length;

  const decide = (relative: string, isDirectory: boolean): "include" | "exclude" | "none" => {
    const name = path.posix.basename(relative);
    for (let i = overrides.length - 1; i >= 0; i--) {
      const glob = overrides[i]!;
      if (glob.directoryOnly && !isDirectory) continue;
      if (glob.matches(glob.anchored ? relative : name)) return glob.exclude ? "exclude" : "include";
    }
    return hasIncludes && !isDirectory ? "exclude" : "none";
  };

  return (relative: string): boolean => {
    const segments = relative.split("/");
    for (let depth = rootDepth + 1; depth < segments.length; depth++) {
      if (decide(segments.slice(0, depth).join("/"), true) === "exclude") return false;
    }
    const verdict = decide(relative, false);
    if (verdict !== "none") return verdict === "include";
    if (!typeMatchers) return true;
    const name = path.posix.basename(relative);
    return typeMatchers.some((matches) => matches(name));
  };
}

function parseOverride(glob: string): OverrideGlob {
  let body = glob;
  const exclude = body.startsWith("!");
  if (exclude) body = body.slice(1);
  const directoryOnly = body.endsWith("/");
  if (directoryOnly) body = body.slice(0, -1);
  const anchored = body.includes("/");
  if (body.startsWith("/")) body = body.slice(1);
  return { exclude, directoryOnly, anchored, matches: compileGlob(body) };
}

/**
 * Claude Code's Grep takes several globs in one string ("*.ts *.tsx" or
 * "*.{ts,tsx}"): split on whitespace, and on commas outside braces.
 */
export function splitGlobParameter(value: string): string[] {
  const globs: string[] = [];
  for (const word of value.split(/\s+/)) {
    if (word === "") continue;
    if (word.includes("{")) globs.push(word);
    else globs.push(...word.split(",").filter((part) => part !== ""));
  }
  return globs;
}
