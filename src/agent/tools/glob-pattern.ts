/**
 * Glob patterns as the model writes them (`**\/*.ts`, `src/**\/index.{js,ts}`,
 * `*.[ch]`), matched against `/`-separated relative paths:
 * - `*` and `?` match within one path segment, `[abc]`, `[a-z]`, `[!abc]` one character;
 * - `**` as a whole segment matches any number of directories, including none;
 * - `{a,b}` alternatives, nested as well; `\` escapes the next character;
 * - dotfiles are not special: `*` matches `.env` (what the model usually wants).
 */

/** Beyond this many alternatives a pattern is refused rather than expanded. */
const MAX_ALTERNATIVES = 1000;

export class GlobPatternError extends Error {
  override name = "GlobPatternError";
}

export type PathMatcher = (relativePath: string) => boolean;

export function compileGlob(pattern: string): PathMatcher {
  const expressions = expandBraces(pattern).map((alternative) => new RegExp(`^${globToRegExpSource(alternative)}$`));
  return expressions.length === 1 && expressions[0]
    ? (candidate) => expressions[0]!.test(candidate)
    : (candidate) => expressions.some((expression) => expression.test(candidate));
}

/** True when the text has characters with a glob meaning (so is not a plain path). */
export function hasGlobMagic(text: string): boolean {
  return /[*?[{\\]/.test(text);
}

/** `{a,b}c` → `ac`, `bc`. A brace pair without a top-level comma stays literal, as in bash. */
export function expandBraces(pattern: string): string[] {
  const done: string[] = [];
  const pending = [pattern];
  while (pending.length > 0) {
    const current = pending.pop()!;
    const group = firstBraceGroup(current);
    if (!group) {
      done.push(current);
      continue;
    }
    for (const alternative of group.alternatives) {
      pending.push(current.slice(0, group.start) + alternative + current.slice(group.end + 1));
    }
    if (done.length + pending.length > MAX_ALTERNATIVES) {
      throw new GlobPatternError(`the pattern ${JSON.stringify(pattern)} expands to more than ${MAX_ALTERNATIVES} alternatives`);
    }
  }
  return done.reverse();
}

function firstBraceGroup(pattern: string): { start: number; end: number; alternatives: string[] } | undefined {
  for (let start = 0; start < pattern.length; start++) {
    const char = pattern[start];
    if (char === "\\") {
      start++;
      continue;
    }
    if (char !== "{") continue;
    let depth = 0;
    const commas: number[] = [];
    for (let i = start; i < pattern.length; i++) {
      const inner = pattern[i];
      if (inner === "\\") {
        i++;
      } else if (inner === "{") {
        depth++;
      } else if (inner === "}") {
        depth--;
        if (depth === 0) {
          if (commas.length === 0) break; // literal braces: look for a later group
          const bounds = [start, ...commas, i];
          const alternatives = bounds.slice(1).map((bound, k) => pattern.slice((bounds[k] ?? start) + 1, bound));
          return { start, end: i, alternatives };
        }
      } else if (inner === "," && depth === 1) {
        commas.push(i);
      }
    }
  }
  return undefined;
}

/** The regular expression source for one brace-free pattern. */
function globToRegExpSource(pattern: string): string {
  const segments = pattern.split("/");
  let source = "";
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (segment === "**") {
      source += last ? ".*" : "(?:[^/]*/)*";
    } else {
      source += segmentSource(segment) + (last ? "" : "/");
    }
  });
  return source;
}

function segmentSource(segment: string): string {
  let source = "";
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i]!;
    if (char === "\\") {
      const next = segment[i + 1];
      source += next === undefined ? "\\\\" : escapeRegExp(next);
      i++;
    } else if (char === "*") {
      while (segment[i + 1] === "*") i++; // `a**b` is just `a*b`
      source += "[^/]*";
    } else if (char === "?") {
      source += "[^/]";
    } else if (char === "[") {
      const parsed = characterClass(segment, i);
      if (parsed) {
        source += parsed.source;
        i = parsed.end;
      } else {
        source += "\\[";
      }
    } else {
      source += escapeRegExp(char);
    }
  }
  return source;
}

/** `[...]` starting at `open`, or undefined when it is not closed (then `[` is literal). */
function characterClass(segment: string, open: number): { source: string; end: number } | undefined {
  let i = open + 1;
  const negated = segment[i] === "!" || segment[i] === "^";
  if (negated) i++;
  let body = "";
  let first = true;
  for (; i < segment.length; i++) {
    const char = segment[i]!;
    if (char === "]" && !first) {
      return { source: negated ? `[^/${body}]` : `[${body}]`, end: i };
    }
    first = false;
    if (char === "\\" && i + 1 < segment.length) {
      body += escapeClassChar(segment[i + 1]!);
      i++;
    } else if (char === "-" && body !== "" && segment[i + 1] !== "]") {
      body += "-";
    } else {
      body += escapeClassChar(char);
    }
  }
  return undefined;
}

function escapeRegExp(char: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(char) ? `\\${char}` : char;
}

function escapeClassChar(char: string): string {
  return /[\\\]^[-]/.test(char) ? `\\${char}` : char;
}
