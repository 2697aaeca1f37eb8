/** What Grep asks of a search implementation (ripgrep, or the built-in one). */
export type GrepMode = "content" | "files_with_matches" | "count";

export interface GrepQuery {
  /** A regular expression. */
  pattern: string;
  /** Worktree-relative, `/`-separated; "." for the whole worktree. */
  root: string;
  rootIsFile: boolean;
  /** ripgrep-style `--glob`s, already split. */
  globs: string[];
  /** ripgrep file type (`ts`, `py`). */
  type: string | undefined;
  mode: GrepMode;
  ignoreCase: boolean;
  /** Patterns may span lines, and `.` matches newlines. */
  multiline: boolean;
  /** Context lines (content mode). */
  before: number;
  after: number;
  /** Stop collecting after this many files (or, in content mode, lines): bounds memory on huge results. */
  maxEntries: number;
}

export interface FoundLine {
  line: number;
  /** Without its line ending. */
  text: string;
  /** False for a context line. */
  isMatch: boolean;
}

export interface FoundFile {
  /** Worktree-relative, `/`-separated. */
  path: string;
  /** count mode: matching lines (in multiline mode: matches, as ripgrep counts them). */
  count?: number;
  /** content mode: matching and context lines, in order. */
  lines?: FoundLine[];
}

export interface GrepFindings {
  files: FoundFile[];
  /** Collection stopped at `maxEntries`. */
  truncated: boolean;
  /** Things the model should know (unreadable files, skipped binaries). */
  warnings: string[];
}

export type GrepOutcome = { ok: true; findings: GrepFindings } | { ok: false; message: string };

export interface GrepSearcher {
  readonly name: string;
  search(query: GrepQuery, worktree: string, signal: AbortSignal): Promise<GrepOutcome>;
}
