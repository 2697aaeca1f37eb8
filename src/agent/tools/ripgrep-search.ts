import { spawn } from "node:child_process";
import path from "node:path";
import type { FoundFile, FoundLine, GrepOutcome, GrepQuery, GrepSearcher } from "./grep-search.js";
import { insideGitCheckout } from "./list-files.js";

/** Raised when the ripgrep binary cannot be started at all, so the caller can fall back. */
export class RipgrepUnavailableError extends Error {
  override name = "RipgrepUnavailableError";
}

export interface RipgrepSearcherOptions {
  ripgrepPath: string;
  timeoutMs: number;
}

/**
 * Searches with ripgrep, run directly (an argv array, never a shell line) in
 * the worktree. ripgrep picks the files (honouring .gitignore) and matches;
 * the results come back as structured findings, so both implementations
 * share one output format.
 */
export function ripgrepSearcher(options: RipgrepSearcherOptions): GrepSearcher {
  return {
    name: "ripgrep",
    async search(query, worktree, signal) {
      const isGit = await insideGitCheckout(worktree, signal);
      return runRipgrep(options, ripgrepArguments(query, isGit), query, worktree, signal);
    },
  };
}

export function ripgrepArguments(query: GrepQuery, insideGit: boolean): string[] {
  // No config file, dotfiles included, and only .gitignore (not .ignore/.rgignore), so the files
  // searched are the ones Glob and `git ls-files` show.
  const args = ["--no-config", "--hidden", "--no-ignore-dot", "--color", "never"];
  if (query.ignoreCase) args.push("--ignore-case");
  if (query.multiline) args.push("--multiline", "--multiline-dotall");
  if (query.mode === "content") {
    args.push("--json");
    if (query.before > 0) args.push("--before-context", String(query.before));
    if (query.after > 0) args.push("--after-context", String(query.after));
  } else if (query.mode === "files_with_matches") {
    args.push("--files-with-matches", "--null");
  } else {
    args.push("--count", "--with-filename", "--null");
  }
  for (const glob of query.globs) args.push("--glob", glob);
  if (query.type !== undefined) args.push("--type", query.type);
  // Last, so they win over the model's globs (ripgrep lets the last matching glob decide).
  args.push("--glob", "!.git");
  if (!insideGit) args.push("--glob", "!node_modules");
  args.push("--regexp", query.pattern, "--", query.root);
  return args;
}

function runRipgrep(
  options: RipgrepSearcherOptions,
  args: string[],
  query: GrepQuery,
  worktree: string,
  signal: AbortSignal,
): Promise<GrepOutcome> {
  if (signal.aborted) return Promise.resolve({ ok: false, message: "Grep was cancelled because the run is stopping." });
  return new Promise<GrepOutcome>((resolve, reject) => {
    const child = spawn(options.ripgrepPath, args, { cwd: worktree, stdio: ["ignore", "pipe", "pipe"] });
    const collector = new FindingsCollector(query);
    let stderr = "";
    let pending = "";
    let stoppedEarly = false;
    let timedOut = false;
    let failedToStart: Error | undefined;

    const stop = () => {
      stoppedEarly = true;
      child.kill("SIGKILL");
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = () => stop();
    signal.addEventListener("abort", onAbort, { once: true });

    child.on("error", (error) => {
      failedToStart = error;
    });
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      if (stoppedEarly) return;
      pending += chunk;
      const separator = query.mode === "files_with_matches" ? "\0" : "\n";
      let end = pending.indexOf(separator);
      let from = 0;
      while (end !== -1) {
        collector.add(pending.slice(from, end));
        from = end + 1;
        if (collector.full) {
          stop();
          break;
        }
        end = pending.indexOf(separator, from);
      }
      pending = pending.slice(from);
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      if (stderr.length < 10_000) stderr += chunk;
    });

    child.on("close", (code) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      if (failedToStart) {
        reject(new RipgrepUnavailableError(`${options.ripgrepPath} could not be started: ${failedToStart.message}`));
        return;
      }
      if (signal.aborted) return resolve({ ok: false, message: "Grep was cancelled because the run is stopping." });
      if (timedOut) {
        return resolve({
          ok: false,
          message: `Grep timed out after ${Math.round(options.timeoutMs / 1000)}s; narrow the search with path, glob or type.`,
        });
      }
      if (!stoppedEarly && pending !== "") collector.add(pending);
      const findings = collector.finish(stoppedEarly);
      // Exit code 1 means "no matches", which is an answer, not a failure.
      if (code === 2 || (code !== 0 && code !== 1 && !stoppedEarly)) {
        const problem = stderr.trim() || `ripgrep exited with code ${code}`;
        if (findings.files.length === 0) return resolve({ ok: false, message: describeRipgrepError(problem) });
        findings.warnings.push(`ripgrep reported: ${problem.split("\n").slice(0, 3).join(" ")}`);
      }
      resolve({ ok: true, findings });
    });
  });
}

function describeRipgrepError(stderr: string): string {
  if (stderr.includes("regex parse error") || stderr.includes("not allowed in a regex")) {
    return (
      `Invalid pattern (Grep takes a regular expression, in ripgrep's syntax):\n${stderr}\n` +
      "Escape characters meant literally, such as ( ) [ ] { } . * + ? | \\, with a backslash; to match across " +
      "lines, set multiline: true."
    );
  }
  if (stderr.includes("unrecognized file type")) {
    return `${stderr}\nUse a ripgrep type name such as js, ts, py, go, rust, java, md or yaml, or filter with glob instead.`;
  }
  return `ripgrep failed: ${stderr}`;
}

/** Turns ripgrep's output, record by record, into findings. */
class FindingsCollector {
  private readonly files = new Map<string, FoundFile>();
  private entries = 0;
  private readonly warnings: string[] = [];

  constructor(private readonly query: GrepQuery) {}

  get full(): boolean {
    return this.entries >= this.query.maxEntries;
  }

  add(record: string): void {
    if (record === "") return;
    if (this.query.mode === "files_with_matches") {
      this.fileFor(record);
      this.entries++;
    } else if (this.query.mode === "count") {
      const split = record.lastIndexOf("\0");
      this.fileFor(record.slice(0, split)).count = Number(record.slice(split + 1));
      this.entries++;
    } else {
      this.addJson(record);
    }
  }

  finish(truncated: boolean): { files: FoundFile[]; truncated: boolean; warnings: string[] } {
    for (const file of this.files.values()) {
      if (file.lines) file.lines = dedupeLines(file.lines);
    }
    return { files: [...this.files.values()], truncated, warnings: this.warnings };
  }

  private addJson(record: string): void {
    let event: RipgrepEvent;
    try {
      event = JSON.parse(record) as RipgrepEvent;
    } catch {
      return;
    }
    if (event.type !== "match" && event.type !== "context") return;
    const data = event.data;
    if (!data?.path || !data.lines || typeof data.line_number !== "number") return;
    const file = this.fileFor(decode(data.path));
    const lines = (file.lines ??= []);
    const text = decode(data.lines).replace(/\n$/, "");
    text.split("\n").forEach((line, index) => {
      lines.push({ line: data.line_number! + index, text: line.replace(/\r$/, ""), isMatch: event.type === "match" });
      this.entries++;
    });
  }

  private fileFor(reported: string): FoundFile {
    const normalized = path.posix.normalize(reported.replace(/^(?:\.\/)+/, ""));
    let file = this.files.get(normalized);
    if (!file) {
      file = { path: normalized };
      this.files.set(normalized, file);
    }
    return file;
  }
}

interface RipgrepText {
  text?: string;
  bytes?: string;
}

interface RipgrepEvent {
  type: string;
  data?: { path?: RipgrepText; lines?: RipgrepText; line_number?: number | null };
}

/** ripgrep sends text that is not UTF-8 as base64 bytes. */
function decode(value: RipgrepText): string {
  if (typeof value.text === "string") return value.text;
  return Buffer.from(value.bytes ?? "", "base64").toString("utf8");
}

function dedupeLines(lines: FoundLine[]): FoundLine[] {
  const byLine = new Map<number, FoundLine>();
  for (const line of lines) {
    const known = byLine.get(line.line);
    if (!known || (line.isMatch && !known.isMatch)) byLine.set(line.line, line);
  }
  return [...byLine.values()].sort((a, b) => a.line - b.line);
}
