import type { Stats } from "node:fs";
import { lstat, readlink, realpath } from "node:fs/promises";
import path from "node:path";

export type ConfinedPath = { ok: true; absolute: string; relative: string } | { ok: false; message: string };

export interface ConfineOptions {
  /**
   * `write` also refuses git's own data (`.git/...`, and the `.git` file of a
   * linked worktree): changing it through a file tool could rewrite history,
   * hooks or config behind planwright's back.
   */
  access?: "read" | "write";
}

/** Linux gives up after 40 links; so do we, so a loop ends in an error rather than a hang. */
const MAX_SYMLINK_HOPS = 40;

/**
 * Resolves a path the model gave (absolute, or relative to the worktree) to
 * its real location, and refuses it unless that lies inside the worktree.
 *
 * Symlinks are resolved on the longest existing prefix, and a dangling link is
 * followed to where it points, so a file that does not exist yet is still
 * caught when a symlinked directory (or a link to a missing file) would place
 * it outside. `absolute` is that real path: use it for the actual file
 * operation, so what was checked is what gets touched.
 */
export async function resolveInWorktree(
  worktree: string,
  requestedPath: string,
  options: ConfineOptions = {},
): Promise<ConfinedPath> {
  if (typeof requestedPath !== "string" || requestedPath.trim() === "") {
    return { ok: false, message: "the path is empty; give a file path inside the repository checkout" };
  }
  if (requestedPath.includes("\0")) {
    return { ok: false, message: `${JSON.stringify(requestedPath)} contains a NUL character, which no file name can hold` };
  }

  let root: string;
  try {
    root = await realpath(worktree);
  } catch {
    return { ok: false, message: `the repository checkout at ${worktree} is missing` };
  }
  const lexical = path.resolve(worktree, requestedPath);
  let real: string;
  try {
    real = await realPathOfPossiblyMissing(lexical);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP") {
      return { ok: false, message: `${requestedPath}: too many levels of symbolic links (a link loop?)` };
    }
    throw error;
  }
  if (!isInside(root, real)) {
    const lexicallyInside = isInside(path.resolve(worktree), lexical) || isInside(root, lexical);
    return {
      ok: false,
      message: lexicallyInside
        ? `${requestedPath} leads through a symbolic link to ${real}, which is outside the repository checkout at ${root}; ` +
          "use a path inside it"
        : `${requestedPath} is outside the repository checkout at ${root}; use a path inside it ` +
          `(relative paths start from ${root})`,
    };
  }

  const relative = path.relative(root, real);
  if (options.access === "write" && touchesGitData(relative)) {
    return {
      ok: false,
      message:
        `${requestedPath} is inside .git, git's own data; file tools may not change it. ` +
        "Change repository state with git commands through Bash instead",
    };
  }
  return { ok: true, absolute: real, relative: relative === "" ? "." : relative };
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === "" || (relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

/** Case-insensitively, since `.GIT` is the same directory on case-insensitive filesystems. */
function touchesGitData(relative: string): boolean {
  return relative.split(path.sep).some((part) => part.toLowerCase() === ".git");
}

/**
 * realpath() for paths that may not exist yet: the real path of the longest
 * existing prefix, with dangling symlinks followed to their (missing) targets,
 * plus the rest.
 */
async function realPathOfPossiblyMissing(absolute: string, hops = 0): Promise<string> {
  try {
    return await realpath(absolute);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  const parent = path.dirname(absolute);
  if (parent === absolute) return absolute;
  const realParent = await realPathOfPossiblyMissing(parent, hops);
  const candidate = path.join(realParent, path.basename(absolute));
  let stats: Stats | undefined;
  try {
    stats = await lstat(candidate);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  if (!stats?.isSymbolicLink()) return candidate;
  if (hops >= MAX_SYMLINK_HOPS) throw Object.assign(new Error("too many symbolic links"), { code: "ELOOP" });
  const target = path.resolve(realParent, await readlink(candidate));
  return realPathOfPossiblyMissing(target, hops + 1);
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  // ENOTDIR: a prefix is a file; whatever comes next will fail clearly when it is used.
  return code === "ENOENT" || code === "ENOTDIR";
}
