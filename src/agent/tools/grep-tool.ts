import { lstat, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { builtinSearcher } from "./builtin-grep-search.js";
import { resolveInWorktree } from "./confine-path.js";
import { defineTool } from "./define-tool.js";
import { findExecutable } from "./find-executable.js";
import { formatGrepFindings } from "./grep-format.js";
import type { GrepOutcome, GrepQuery, GrepSearcher } from "./grep-search.js";
import { RipgrepUnavailableError, ripgrepSearcher } from "./ripgrep-search.js";
import { splitGlobParameter } from "./ripgrep-file-filter.js";
import type { Tool, ToolContext, ToolResult } from "./tool.js";
import { flag, optional, text, wholeNumber } from "./tool-input.js";
import { toolError, toolSuccess } from "./tool-result.js";

export const DEFAULT_GREP_TIMEOUT_MS = 60_000;
/** Results collected at most (files, or lines in content mode) before the search stops. */
export const DEFAULT_GREP_MAX_ENTRIES = 10_000;

export interface GrepToolOptions {
  /**
   * The ripgrep binary: a path to use it, `null` to always use the built-in
   * search, undefined (default) to look for `rg` on PATH and fall back to the
   * built-in search when there is none.
   */
  ripgrepPath?: string | null;
  timeoutMs?: number;
  maxEntries?: number;
}

const OUTPUT_MODES = ["content", "files_with_matches", "count"] as const;

const schema = z
  .object({
    pattern: text("the regular expression to search for", { nonEmpty: true }),
    path: optional(text("the file or directory to search in")),
    glob: optional(text('a glob that files must match, such as "*.ts" or "*.{ts,tsx}"')),
    type: optional(text("a ripgrep file type such as js, ts, py")),
    output_mode: optional(z.enum(OUTPUT_MODES, { error: `must be one of ${OUTPUT_MODES.join(", ")}` })),
    "-i": optional(flag()),
    "-n": optional(flag()),
    "-A": optional(wholeNumber(0)),
    "-B": optional(wholeNumber(0)),
    "-C": optional(wholeNumber(0)),
    multiline: optional(flag()),
    head_limit: optional(wholeNumber(0)),
    offset: optional(wholeNumber(0)),
  })
  .strict();

type GrepInput = z.infer<typeof schema>;

export function createGrepTool(options: GrepToolOptions = {}): Tool {
  const timeoutMs = options.timeoutMs ?? DEFAULT_GREP_TIMEOUT_MS;
  const maxEntries = options.maxEntries ?? DEFAULT_GREP_MAX_ENTRIES;
  const builtin = builtinSearcher({ timeoutMs });
  let ripgrep: Promise<GrepSearcher | undefined> | undefined;
  const findRipgrep = () => {
    if (options.ripgrepPath === null) return Promise.resolve(undefined);
    ripgrep ??= (options.ripgrepPath !== undefined ? Promise.resolve(options.ripgrepPath) : findExecutable("rg")).then(
      (ripgrepPath) => (ripgrepPath === undefined ? undefined : ripgrepSearcher({ ripgrepPath, timeoutMs })),
    );
    return ripgrep;
  };

  return defineTool({
    name: "Grep",
    readOnly: true,
    description:
      "Searches file contents with a regular expression (ripgrep syntax: escape literal braces, as in " +
      "`interface\\{\\}`), in the repository or under path, skipping files ignored by .gitignore and binary files. " +
      'output_mode "files_with_matches" (the default) lists matching files, most recently modified first; ' +
      '"content" shows matching lines as path:line:text, with -A/-B/-C context lines and -n line numbers ' +
      '(default on); "count" shows matches per file. Narrow with glob ("*.ts", "*.{ts,tsx}", "!*.test.ts") or ' +
      "type (js, ts, py, go, rust, java, ...). -i ignores case; multiline: true lets a pattern span lines. " +
      "head_limit shows only the first N entries (offset skips some first). Use Grep rather than grep or rg in Bash.",
    inputSchema: {
      type: "object",
      properties: {
        pattern: { type: "string", description: "The regular expression to search for in file contents" },
        path: {
          type: "string",
          description: "The file or directory to search in, absolute or relative to the repository root (default: the repository root)",
        },
        glob: {
          type: "string",
          description: 'Glob to filter files, like "*.js" or "*.{ts,tsx}" (rg --glob); several may be separated by spaces',
        },
        type: {
          type: "string",
          description: "File type to search (rg --type): js, ts, py, go, rust, java, ... More efficient than glob for standard types",
        },
        output_mode: {
          type: "string",
          enum: [...OUTPUT_MODES],
          description:
            '"content" shows matching lines (supports -A/-B/-C, -n, head_limit); "files_with_matches" shows file paths ' +
            '(default); "count" shows match counts',
        },
        "-i": { type: "boolean", description: "Case insensitive search (rg -i)" },
        "-n": { type: "boolean", description: 'Show line numbers (content mode only; default true)' },
        "-A": { type: "number", description: "Lines to show after each match (content mode only)" },
        "-B": { type: "number", description: "Lines to show before each match (content mode only)" },
        "-C": { type: "number", description: "Lines to show before and after each match (content mode only)" },
        multiline: {
          type: "boolean",
          description: "Let patterns span lines, with . matching newlines (rg -U --multiline-dotall). Default false",
        },
        head_limit: {
          type: "number",
          description: "Show only the first N entries (lines, files or counts, depending on output_mode), like | head -N",
        },
        offset: { type: "number", description: "Skip the first N entries before applying head_limit" },
      },
      required: ["pattern"],
      additionalProperties: false,
    },
    usage:
      'Grep{pattern: string, path?: string, glob?: string, type?: string, output_mode?: "content" | ' +
      '"files_with_matches" | "count", "-i"?: boolean, "-n"?: boolean, "-A"?: number, "-B"?: number, ' +
      '"-C"?: number, multiline?: boolean, head_limit?: number, offset?: number}',
    schema,
    execute: async (input, context) => grep(input, context, { findRipgrep, builtin, maxEntries }),
  });
}

async function grep(
  input: GrepInput,
  context: ToolContext,
  searchers: { findRipgrep: () => Promise<GrepSearcher | undefined>; builtin: GrepSearcher; maxEntries: number },
): Promise<ToolResult> {
  if (context.signal.aborted) return toolError("Grep was cancelled because the run is stopping.");
  const requested = input.path === undefined || input.path === "" || input.path === "undefined" ? "." : input.path;
  const root = await resolveInWorktree(context.worktree, requested);
  if (!root.ok) return toolError(root.message);
  const rootStats = await stat(root.absolute).catch(() => undefined);
  if (!rootStats) return toolError(`Path does not exist: ${root.relative}. Leave path out to search the whole repository.`);
  if (!rootStats.isDirectory() && !rootStats.isFile()) return toolError(`${root.relative} is neither a file nor a directory.`);

  const around = input["-C"] ?? 0;
  const query: GrepQuery = {
    pattern: input.pattern,
    root: root.relative.split(path.sep).join("/"),
    rootIsFile: rootStats.isFile(),
    globs: input.glob === undefined ? [] : splitGlobParameter(input.glob),
    type: input.type === undefined || input.type === "" ? undefined : input.type,
    mode: input.output_mode ?? "files_with_matches",
    ignoreCase: input["-i"] ?? false,
    multiline: input.multiline ?? false,
    before: input["-B"] ?? around,
    after: input["-A"] ?? around,
    maxEntries: searchers.maxEntries,
  };
  // The worktree as resolved, which root.relative is relative to.
  const worktree = await realpath(context.worktree);

  let outcome: GrepOutcome;
  const notes: string[] = [];
  const ripgrep = await searchers.findRipgrep();
  try {
    outcome = ripgrep ? await ripgrep.search(query, worktree, context.signal) : await searchers.builtin.search(query, worktree, context.signal);
  } catch (error) {
    if (!(error instanceof RipgrepUnavailableError)) throw error;
    notes.push(`[${error.message}; searched with the built-in matcher instead.]`);
    outcome = await searchers.builtin.search(query, worktree, context.signal);
  }
  if (!outcome.ok) return toolError(outcome.message);

  const modifiedAt = new Map<string, number>();
  if (query.mode === "files_with_matches") {
    await Promise.all(
      outcome.findings.files.map(async (file) => {
        const stats = await lstat(path.join(worktree, file.path)).catch(() => undefined);
        modifiedAt.set(file.path, stats?.mtimeMs ?? 0);
      }),
    );
  }
  const output = formatGrepFindings(query, outcome.findings, {
    offset: input.offset ?? 0,
    headLimit: input.head_limit ?? 0,
    showLineNumbers: input["-n"] ?? true,
  }, modifiedAt);
  return toolSuccess(notes.length > 0 ? `${output}\n${notes.join("\n")}` : output);
}
