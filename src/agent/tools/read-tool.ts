import { createReadStream } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { z } from "zod";
import { describeBinary, hasUtf16Bom, SNIFF_BYTES } from "./binary-file.js";
import { resolveInWorktree } from "./confine-path.js";
import { defineTool } from "./define-tool.js";
import { formatBytes } from "./format-bytes.js";
import { numberedLine } from "./numbered-lines.js";
import type { Tool } from "./tool.js";
import { optional, text, wholeNumber } from "./tool-input.js";
import { toolError, toolSuccess } from "./tool-result.js";

export const DEFAULT_READ_LIMIT = 2000;
/** About 25,000 tokens: beyond that a single read crowds out the rest of the conversation. */
export const DEFAULT_READ_MAX_CHARS = 100_000;
/** Past this size the total line count is not worth reading the whole file for. */
const COUNT_ALL_LINES_UP_TO_BYTES = 50 * 1024 * 1024;

export interface ReadToolOptions {
  /** Lines shown when the model gives no `limit`. */
  defaultLimit?: number;
  /** Output stops before this many characters, with a note saying where to continue. */
  maxOutputChars?: number;
}

const schema = z
  .object({
    file_path: text("the file to read", { nonEmpty: true }),
    offset: optional(wholeNumber(0)),
    limit: optional(wholeNumber(1)),
  })
  .strict();

export function createReadTool(options: ReadToolOptions = {}): Tool {
  const defaultLimit = options.defaultLimit ?? DEFAULT_READ_LIMIT;
  const maxChars = options.maxOutputChars ?? DEFAULT_READ_MAX_CHARS;
  return defineTool({
    name: "Read",
    readOnly: true,
    // Its own stop, plus room for the note that says where to continue.
    maxOutputChars: maxChars + 1_000,
    description:
      "Reads a text file of the repository. file_path is absolute or relative to the repository root. " +
      `Returns up to ${defaultLimit} lines from the start (or from offset, a 1-based line number) in \`cat -n\` ` +
      "format: the line number, a tab, then the line. The line number and tab are not part of the file: leave them " +
      `out of Edit's old_string. Lines longer than 2000 characters are cut. For long files, read the part you need ` +
      "with offset and limit. Read files rather than `cat`-ing them in Bash. Directories cannot be read: use Glob, " +
      "or `ls` in Bash. Binary files are refused.",
    inputSchema: {
      type: "object",
      properties: {
        file_path: { type: "string", description: "The file to read: absolute, or relative to the repository root" },
        offset: {
          type: "number",
          description: "The line number to start reading from (1-based). Only needed for files too long to read at once",
        },
        limit: {
          type: "number",
          description: `The number of lines to read (default ${defaultLimit}). Only needed for files too long to read at once`,
        },
      },
      required: ["file_path"],
      additionalProperties: false,
    },
    usage: "Read{file_path: string, offset?: number, limit?: number}",
    schema,
    async execute(input, context) {
      const target = await resolveInWorktree(context.worktree, input.file_path);
      if (!target.ok) return toolError(target.message);
      const shown = target.relative;

      let stats;
      try {
        stats = await stat(target.absolute);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return toolError(await missingFileMessage(target.absolute, shown));
        throw error;
      }
      if (stats.isDirectory()) {
        return toolError(
          `${shown} is a directory, not a file. To see what is in it, use Glob ` +
            `(pattern: "${shown === "." ? "" : `${shown}/`}*") or Bash (ls ${shown}).`,
        );
      }
      if (!stats.isFile()) return toolError(`${shown} is not a regular file (a device, socket or pipe); Read only reads files.`);
      if (stats.size === 0) return toolSuccess(`${shown} exists but is empty (0 bytes).`);

      const head = await readHead(target.absolute);
      const binary = describeBinary(target.absolute, head);
      if (binary !== undefined) {
        return toolError(
          `${shown} is a binary file (${binary}, ${formatBytes(stats.size)}); Read shows text only. ` +
            `To inspect it, use Bash (for example \`file ${shown}\` or \`xxd ${shown} | head\`).`,
        );
      }

      const start = Math.max(1, input.offset ?? 1);
      const limit = input.limit ?? defaultLimit;
      const window = await readLineWindow(target.absolute, {
        encoding: hasUtf16Bom(head) ? "utf16le" : "utf8",
        start,
        limit,
        maxChars,
        countAll: stats.size <= COUNT_ALL_LINES_UP_TO_BYTES,
      });

      if (window.lines.length === 0) {
        return toolError(
          `${shown} has ${window.total} line${window.total === 1 ? "" : "s"}, so offset ${input.offset} is past its end; ` +
            `use an offset from 1 to ${window.total}.`,
        );
      }
      const end = start + window.lines.length - 1;
      let output = window.lines.join("\n");
      if (window.stoppedForSize) {
        output +=
          `\n\n[Stopped after line ${end} to keep this output under ${maxChars} characters. ` +
          `Call Read with offset: ${end + 1} to read on.]`;
      } else if (window.total === undefined) {
        output += `\n\n[Lines ${start}-${end} shown; the file (${formatBytes(stats.size)}) goes on. Call Read with offset: ${end + 1} to read on.]`;
      } else if (end < window.total) {
        output += `\n\n[Lines ${start}-${end} of ${window.total} shown. Call Read with offset: ${end + 1} to read on.]`;
      }
      return toolSuccess(output);
    },
  });
}

async function readHead(file: string): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

interface LineWindow {
  /** Numbered lines, ready to show. */
  lines: string[];
  /** Lines in the whole file; undefined when the file was too big to count them all. */
  total: number | undefined;
  stoppedForSize: boolean;
}

/** Streams the file so a huge one costs no more memory than the lines shown. */
async function readLineWindow(
  file: string,
  options: { encoding: "utf8" | "utf16le"; start: number; limit: number; maxChars: number; countAll: boolean },
): Promise<LineWindow> {
  const lines: string[] = [];
  let chars = 0;
  let lineNumber = 0;
  let stoppedForSize = false;
  let done = false;
  const decoder = new StringDecoder(options.encoding);
  let pending = "";

  const take = (raw: string) => {
    lineNumber++;
    if (done || lineNumber < options.start) return;
    let line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (lineNumber === 1) line = line.replace(/^\uFEFF/, "");
    const formatted = numberedLine(lineNumber, line);
    if (lines.length > 0 && chars + formatted.length + 1 > options.maxChars) {
      stoppedForSize = true;
      done = true;
      return;
    }
    lines.push(formatted);
    chars += formatted.length + 1;
    if (lines.length >= options.limit) done = true;
  };

  const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
  let truncatedCount = false;
  for await (const chunk of stream) {
    pending += decoder.write(chunk as Buffer);
    let newline = pending.indexOf("\n");
    let from = 0;
    while (newline !== -1) {
      take(pending.slice(from, newline));
      from = newline + 1;
      newline = pending.indexOf("\n", from);
    }
    pending = pending.slice(from);
    if (done && !options.countAll) {
      truncatedCount = true;
      stream.destroy();
      break;
    }
  }
  if (!truncatedCount) {
    pending += decoder.end();
    if (pending !== "") take(pending);
  }
  return { lines, total: truncatedCount ? undefined : lineNumber, stoppedForSize };
}

async function missingFileMessage(absolute: string, shown: string): Promise<string> {
  const directory = path.dirname(absolute);
  let entries: string[];
  try {
    entries = await readdir(directory);
  } catch {
    return `File does not exist: ${shown} (its directory ${path.dirname(shown)} does not exist either). Use Glob to find files.`;
  }
  const name = path.basename(absolute);
  const stem = (file: string) => file.slice(0, file.length - path.extname(file).length).toLowerCase();
  const similar = entries
    .filter((entry) => entry.toLowerCase() === name.toLowerCase() || stem(entry) === stem(name))
    .slice(0, 5)
    .map((entry) => path.join(path.dirname(shown), entry));
  const hint = similar.length > 0 ? ` Did you mean ${similar.join(" or ")}?` : " Use Glob to find files.";
  return `File does not exist: ${shown}.${hint}`;
}
