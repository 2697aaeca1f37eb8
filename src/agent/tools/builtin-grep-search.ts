import { lstat, readFile } from "node:fs/promises";
import path from "node:path";
import { formatBytes } from "./format-bytes.js";
import type { FoundFile, FoundLine, GrepOutcome, GrepQuery, GrepSearcher } from "./grep-search.js";
import { listFiles } from "./list-files.js";
import { ripgrepFileFilter } from "./ripgrep-file-filter.js";
import { RIPGREP_TYPES } from "./ripgrep-types.js";
import { runInterruptibly } from "./run-interruptibly.js";

export interface BuiltinSearcherOptions {
  timeoutMs: number;
  /** Larger files are skipped (with a note) rather than read into memory whole. */
  maxFileBytes?: number;
}

const DEFAULT_MAX_FILE_BYTES = 32 * 1024 * 1024;

/**
 * Grep without ripgrep: the same files Glob lists, filtered the way ripgrep
 * filters with --glob and --type, matched with JavaScript regular
 * expressions line by line (or over the whole text in multiline mode), binary
 * files skipped as ripgrep skips them.
 *
 * Cancellation is checked between files; the timeout also interrupts the
 * matching within one file, since a pattern that backtracks catastrophically
 * would otherwise block the whole process. Prefer ripgrep wherever it can be
 * installed: its engine never backtracks.
 */
export function builtinSearcher(options: BuiltinSearcherOptions): GrepSearcher {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  return {
    name: "built-in",
    async search(query, worktree, signal) {
      const compiled = compilePattern(query);
      if (typeof compiled === "string") return { ok: false, message: compiled };
      let typeGlobs: readonly string[] | undefined;
      if (query.type !== undefined) {
        typeGlobs = RIPGREP_TYPES[query.type];
        if (!typeGlobs) {
          return {
            ok: false,
            message: `unrecognized file type: ${query.type}. Known types: ${Object.keys(RIPGREP_TYPES).join(", ")}; or filter with glob instead.`,
          };
        }
      }

      const candidates = await candidateFiles(query, worktree, typeGlobs, signal);
      const deadline = Date.now() + options.timeoutMs;
      const files: FoundFile[] = [];
      const warnings: string[] = [];
      let entries = 0;
      let truncated = false;
      for (const relative of candidates) {
        if (signal.aborted) return { ok: false, message: "Grep was cancelled because the run is stopping." };
        if (Date.now() > deadline) {
          return {
            ok: false,
            message: `Grep timed out after ${Math.round(options.timeoutMs / 1000)}s; narrow the search with path, glob or type.`,
          };
        }
        const absolute = path.join(worktree, relative);
        const stats = await lstat(absolute).catch(() => undefined);
        if (!stats?.isFile()) continue;
        if (stats.size > maxFileBytes) {
          warnings.push(`${relative} (${formatBytes(stats.size)}) is too large for the built-in search and was skipped`);
          continue;
        }
        let buffer: Buffer;
        try {
          buffer = await readFile(absolute);
        } catch (error) {
          warnings.push(`${relative}: ${(error as Error).message}`);
          continue;
        }
        if (buffer.includes(0)) {
          if (query.rootIsFile) warnings.push(`${relative} is a binary file and was not searched`);
          continue;
        }
        const text = buffer.toString("utf8").replace(/^\uFEFF/, "");
        const searched = runInterruptibly(() => searchText(text, compiled, query), deadline - Date.now());
        if (!searched.ok) {
          return {
            ok: false,
            message:
              `Grep timed out after ${Math.round(options.timeoutMs / 1000)}s while matching ${relative}: the pattern may ` +
              "backtrack without end (nested quantifiers such as (a+)+ or (.*)*); simplify it, or narrow the search with path, glob or type.",
          };
        }
        const found = searched.value;
        if (!found) continue;
        files.push({ path: relative, ...found });
        entries += found.lines?.length ?? 1;
        if (entries >= query.maxEntries) {
          truncated = true;
          break;
        }
      }
      return { ok: true, findings: { files, truncated, warnings } } satisfies GrepOutcome;
    },
  };
}

function compilePattern(query: GrepQuery): RegExp | string {
  // ripgrep refuses a line break in a line-by-line search rather than never matching; so do we.
  if (!query.multiline && /(?:^|[^\\])(?:\\\\)*\\n/.test(query.pattern)) {
    return (
      `Invalid pattern: it matches a line break ("\\n"), which a line-by-line search never sees. ` +
      "Set multiline: true to match across lines."
    );
  }
  try {
    return new RegExp(query.pattern, `${query.ignoreCase ? "i" : ""}${query.multiline ? "gms" : ""}`);
  } catch (error) {
    return (
      `Invalid pattern (Grep takes a regular expression): ${(error as Error).message}. ` +
      "Escape characters meant literally, such as ( ) [ ] { } . * + ? | \\, with a backslash."
    );
  }
}

async function candidateFiles(
  query: GrepQuery,
  worktree: string,
  typeGlobs: readonly string[] | undefined,
  signal: AbortSignal,
): Promise<string[]> {
  // Like ripgrep, a file named explicitly is searched whatever the globs and types say.
  if (query.rootIsFile) return [query.root];
  const listing = await listFiles(path.join(worktree, query.root), signal);
  const selected = ripgrepFileFilter(query.globs, typeGlobs, query.root);
  return listing.files
    .map((file) => (query.root === "." ? file : `${query.root}/${file}`))
    .filter((file) => !file.split("/").includes(".git") && selected(file))
    .sort(comparePaths);
}

function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function searchText(text: string, pattern: RegExp, query: GrepQuery): Omit<FoundFile, "path"> | undefined {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const matched = query.multiline ? multilineMatches(text, lines.length, pattern) : lineMatches(lines, pattern);
  if (matched.lines.size === 0) return undefined;
  if (query.mode === "files_with_matches") return {};
  if (query.mode === "count") return { count: query.multiline ? matched.count : matched.lines.size };

  const shown = new Map<number, FoundLine>();
  const display = (index: number) => (lines[index] ?? "").replace(/\r$/, "");
  for (const index of matched.lines) {
    for (let context = Math.max(0, index - query.before); context <= Math.min(lines.length - 1, index + query.after); context++) {
      if (!shown.has(context)) shown.set(context, { line: context + 1, text: display(context), isMatch: false });
    }
  }
  for (const index of matched.lines) shown.set(index, { line: index + 1, text: display(index), isMatch: true });
  return { lines: [...shown.values()].sort((a, b) => a.line - b.line) };
}

function lineMatches(lines: readonly string[], pattern: RegExp): { lines: Set<number>; count: number } {
  const matched = new Set<number>();
  lines.forEach((line, index) => {
    if (pattern.test(line)) matched.add(index);
  });
  return { lines: matched, count: matched.size };
}

/** Matches over the whole text; each marks every line it spans. */
function multilineMatches(text: string, lineCount: number, pattern: RegExp): { lines: Set<number>; count: number } {
  const lineStarts = [0];
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) lineStarts.push(at + 1);
  const lineOf = (offset: number) => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((lineStarts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  };
  const matched = new Set<number>();
  let count = 0;
  for (const match of text.matchAll(pattern)) {
    const first = lineOf(match.index);
    if (first >= lineCount) continue; // an empty match after the final newline is on no line
    const last = match[0].length > 0 ? lineOf(match.index + match[0].length - 1) : first;
    for (let line = first; line <= last; line++) matched.add(line);
    count++;
  }
  return { lines: matched, count };
}
