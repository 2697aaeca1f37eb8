import type { FoundFile, GrepFindings, GrepQuery } from "./grep-search.js";
import { cutLongLine } from "./numbered-lines.js";

export interface GrepPaging {
  /** Entries (files, counts, or output lines) skipped first. */
  offset: number;
  /** At most this many entries shown after that; 0 for all. */
  headLimit: number;
  showLineNumbers: boolean;
}

/**
 * Grep's output, the same whichever implementation searched:
 * - files_with_matches: "Found N files" and the paths, most recently modified first;
 * - count: `path:count` lines by path, and the total;
 * - content: ripgrep's `path:line:text` (`path-line-text` for context lines,
 *   `--` between separate groups when context is asked for), by path.
 * `modifiedAt` orders files_with_matches (newest first); ties go by path.
 */
export function formatGrepFindings(
  query: GrepQuery,
  findings: GrepFindings,
  paging: GrepPaging,
  modifiedAt: ReadonlyMap<string, number>,
): string {
  const byPath = [...findings.files].sort((a, b) => comparePaths(a.path, b.path));
  const notes: string[] = [];
  let body: string[];

  if (findings.files.length === 0) {
    body = [noMatches(query)];
  } else if (query.mode === "files_with_matches") {
    const newestFirst = byPath.sort((a, b) => (modifiedAt.get(b.path) ?? 0) - (modifiedAt.get(a.path) ?? 0));
    const page = paginate(newestFirst.map((file) => file.path), paging, notes);
    body = [`Found ${plural(findings.files.length, "file")}`, ...page];
  } else if (query.mode === "count") {
    const page = paginate(byPath.map((file) => `${file.path}:${file.count ?? 0}`), paging, notes);
    const total = byPath.reduce((sum, file) => sum + (file.count ?? 0), 0);
    const unit = query.multiline ? "match" : "matching line";
    body = [...page, "", `Found ${plural(total, unit)} in ${plural(byPath.length, "file")}.`];
  } else {
    body = paginate(contentLines(byPath, query, paging.showLineNumbers), paging, notes);
  }

  if (findings.truncated) {
    notes.push(
      "[The search stopped early because it found too much; these results are incomplete. Narrow it with path, " +
        "glob or type, or a more specific pattern.]",
    );
  }
  for (const warning of findings.warnings) notes.push(`[Note: ${warning}]`);
  return [...body, ...(notes.length > 0 ? ["", ...notes] : [])].join("\n");
}

function contentLines(files: readonly FoundFile[], query: GrepQuery, showLineNumbers: boolean): string[] {
  const withContext = query.before > 0 || query.after > 0;
  const out: string[] = [];
  for (const file of files) {
    let previous: number | undefined;
    for (const line of file.lines ?? []) {
      // ripgrep's group separator: between files too, and wherever lines were skipped.
      if (withContext && out.length > 0 && (previous === undefined || line.line > previous + 1)) out.push("--");
      const separator = line.isMatch ? ":" : "-";
      const number = showLineNumbers ? `${line.line}${separator}` : "";
      out.push(`${file.path}${separator}${number}${cutLongLine(line.text)}`);
      previous = line.line;
    }
  }
  return out;
}

function paginate(entries: readonly string[], paging: GrepPaging, notes: string[]): string[] {
  const end = paging.headLimit > 0 ? paging.offset + paging.headLimit : entries.length;
  const page = entries.slice(paging.offset, end);
  if (paging.offset > 0 || end < entries.length) {
    const shownEnd = paging.offset + page.length;
    const more = shownEnd < entries.length ? ` Use offset: ${shownEnd} to see the next ones.` : "";
    notes.push(
      page.length === 0
        ? `[offset ${paging.offset} is past the end: there are ${entries.length} entries.]`
        : `[Showing entries ${paging.offset + 1}-${shownEnd} of ${entries.length}.${more}]`,
    );
  }
  return page;
}

function noMatches(query: GrepQuery): string {
  const filters = [
    ...(query.globs.length > 0 ? [`glob ${query.globs.join(" ")}`] : []),
    ...(query.type !== undefined ? [`type ${query.type}`] : []),
  ];
  const where = query.root === "." ? "the repository" : query.root;
  return `No matches found for ${JSON.stringify(query.pattern)} in ${where}${filters.length > 0 ? ` (${filters.join(", ")})` : ""}.`;
}

function plural(count: number, noun: string): string {
  if (count === 1) return `1 ${noun}`;
  return `${count} ${noun.endsWith("match") ? `${noun}es` : `${noun}s`}`;
}

function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
