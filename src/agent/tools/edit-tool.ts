import { lstat, readFile } from "node:fs/promises";
import { z } from "zod";
import { resolveInWorktree } from "./confine-path.js";
import { defineTool } from "./define-tool.js";
import { formatBytes } from "./format-bytes.js";
import { countLines, numberedLine, splitLines } from "./numbered-lines.js";
import type { Tool, ToolResult } from "./tool.js";
import { flag, optional, text } from "./tool-input.js";
import { toolError, toolSuccess } from "./tool-result.js";
import { prepareFileTarget, writeTextFile } from "./write-file-safely.js";

const SNIPPET_CONTEXT_LINES = 4;
const SNIPPETS_SHOWN = 3;
const MAX_SNIPPET_LINES = 40;

const schema = z
  .object({
    file_path: text("the file to change", { nonEmpty: true }),
    old_string: text("the exact text to replace"),
    new_string: text("the text to replace it with"),
    replace_all: optional(flag()),
  })
  .strict();

export function createEditTool(): Tool {
  return defineTool({
    name: "Edit",
    readOnly: false,
    description:
      "Replaces exact text in a file of the repository. old_string must match the file exactly, including " +
      "whitespace and indentation; copy it from Read's output without the line-number prefix (the number and the " +
      "tab before each line). The edit fails if old_string is not found, or is found more than once and replace_all " +
      "is not set: then include more surrounding lines to make it unique. replace_all: true replaces every " +
      "occurrence (for renames). An empty old_string creates a new file with new_string as its content.",
    inputSchema: {
      type: "object",
      properties: {
        file_path: { type: "string", description: "The file to change: absolute, or relative to the repository root" },
        old_string: { type: "string", description: "The exact text to replace" },
        new_string: { type: "string", description: "The text to replace it with (must differ from old_string)" },
        replace_all: {
          type: "boolean",
          default: false,
          description: "Replace every occurrence of old_string (default false: it must occur exactly once)",
        },
      },
      required: ["file_path", "old_string", "new_string"],
      additionalProperties: false,
    },
    usage: "Edit{file_path: string, old_string: string, new_string: string, replace_all?: boolean}",
    schema,
    async execute(input, context) {
      if (input.old_string === input.new_string) {
        return toolError(
          "old_string and new_string are the same, so this edit would change nothing. " +
            "Pass the current text as old_string and what it should become as new_string.",
        );
      }
      const target = await resolveInWorktree(context.worktree, input.file_path, { access: "write" });
      if (!target.ok) return toolError(target.message);
      const shown = target.relative;

      const state = await fileState(target.absolute, shown);
      if (typeof state !== "string") return state;
      if (state === "missing") {
        if (input.old_string !== "") {
          return toolError(
            `File does not exist: ${shown}. To create it, use Write (or Edit with an empty old_string); ` +
              "to change an existing file, check its path with Glob.",
          );
        }
        const prepared = await prepareFileTarget(target.absolute, shown);
        if (!prepared.ok) return toolError(`Cannot create the file: ${prepared.message}.`);
        await writeTextFile(target.absolute, input.new_string);
        return toolSuccess(`Created ${shown} with ${describeSize(input.new_string)}.`);
      }

      const buffer = await readFile(target.absolute);
      if (buffer.includes(0)) return toolError(`${shown} is a binary file; Edit changes text files only.`);
      const content = buffer.toString("utf8");
      if (!Buffer.from(content, "utf8").equals(buffer)) {
        return toolError(
          `${shown} is not valid UTF-8 text, and rewriting it would corrupt the rest of it. ` +
            "Change it with Bash instead (for example sed or a short script).",
        );
      }

      if (input.old_string === "") {
        if (content !== "") {
          return toolError(
            `${shown} already exists and is not empty; an empty old_string only creates new files. ` +
              "To change it, pass the exact text to replace as old_string (Read it first); to replace all of it, use Write.",
          );
        }
        await writeTextFile(target.absolute, input.new_string);
        return toolSuccess(`Wrote ${describeSize(input.new_string)} into the empty file ${shown}.`);
      }

      let oldText = input.old_string;
      let newText = input.new_string;
      let positions = occurrences(content, oldText);
      // The model writes "\n"; a file with Windows line endings has "\r\n" where it means the same thing.
      if (positions.length === 0 && content.includes("\r\n") && /(?<!\r)\n/.test(oldText)) {
        oldText = toCrlf(oldText);
        newText = toCrlf(newText);
        positions = occurrences(content, oldText);
      }
      if (positions.length === 0) return toolError(notFoundMessage(shown, content, input.old_string));
      if (positions.length > 1 && input.replace_all !== true) {
        const lines = lineNumbersOf(content, positions);
        const where = lines.length > 10 ? `${lines.slice(0, 10).join(", ")}, ...` : lines.join(", ");
        return toolError(
          `old_string occurs ${positions.length} times in ${shown} (at lines ${where}), and Edit changes one place ` +
            "at a time. Add surrounding lines to old_string so that it matches only the place to change, or set " +
            `replace_all: true to change all ${positions.length}.`,
        );
      }

      const updated =
        positions.length === 1
          ? content.slice(0, positions[0]) + newText + content.slice((positions[0] ?? 0) + oldText.length)
          : content.split(oldText).join(newText);
      await writeTextFile(target.absolute, updated);

      const shift = newText.length - oldText.length;
      const changed = positions.slice(0, SNIPPETS_SHOWN).map((position, index) => ({
        start: position + index * shift,
        length: newText.length,
      }));
      const summary =
        positions.length === 1
          ? `Edited ${shown}. The changed part now reads:`
          : `Edited ${shown}: replaced all ${positions.length} occurrences.` +
            (positions.length > SNIPPETS_SHOWN ? ` The first ${SNIPPETS_SHOWN} now read:` : " They now read:");
      return toolSuccess(`${summary}\n${snippet(updated, changed)}`);
    },
  });
}

async function fileState(absolute: string, shown: string): Promise<"file" | "missing" | ToolResult> {
  try {
    const stats = await lstat(absolute);
    if (stats.isDirectory()) return toolError(`${shown} is a directory; give the path of a file.`);
    if (!stats.isFile()) return toolError(`${shown} is not a regular file (a device, socket or pipe); it cannot be edited.`);
    return "file";
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw error;
  }
}

function occurrences(content: string, search: string): number[] {
  const found: number[] = [];
  for (let at = content.indexOf(search); at !== -1; at = content.indexOf(search, at + search.length)) found.push(at);
  return found;
}

function toCrlf(value: string): string {
  return value.replace(/\r?\n/g, "\r\n");
}

function lineNumbersOf(content: string, positions: readonly number[]): number[] {
  const lines: number[] = [];
  let line = 1;
  let scanned = 0;
  for (const position of positions) {
    for (let at = content.indexOf("\n", scanned); at !== -1 && at < position; at = content.indexOf("\n", at + 1)) {
      line++;
      scanned = at + 1;
    }
    lines.push(line);
  }
  return lines;
}

function notFoundMessage(shown: string, content: string, oldString: string): string {
  const hints: string[] = [];
  if (/^ *\d+\t/m.test(oldString)) {
    hints.push("old_string seems to include Read's line-number prefixes; leave out the number and the tab before each line");
  }
  const squash = (value: string) => value.replace(/\s+/g, " ").trim();
  if (squash(oldString) !== "" && squash(content).includes(squash(oldString))) {
    hints.push("the text is there if whitespace is ignored, so copy the indentation (tabs or spaces) and line breaks exactly");
  } else if (content.toLowerCase().includes(oldString.toLowerCase())) {
    hints.push("the text is there in different upper/lower case");
  }
  return (
    `old_string was not found in ${shown}. Read the file and copy the exact text to replace, including whitespace ` +
    `and indentation.${hints.length > 0 ? ` Hint: ${hints.join("; ")}.` : ""}`
  );
}

function describeSize(content: string): string {
  const lines = countLines(content);
  return `${formatBytes(Buffer.byteLength(content, "utf8"))} (${lines} line${lines === 1 ? "" : "s"})`;
}

/** The changed lines with a few around them, `cat -n` style, for the model to check its edit. */
function snippet(updated: string, changes: ReadonlyArray<{ start: number; length: number }>): string {
  const lines = splitLines(updated);
  const lineAt = (offset: number) => countLines(updated.slice(0, offset + 1)) || 1;
  const ranges: Array<{ from: number; to: number }> = [];
  for (const change of changes) {
    const first = lineAt(change.start);
    const last = change.length > 0 ? lineAt(change.start + change.length - 1) : first;
    const from = Math.max(1, first - SNIPPET_CONTEXT_LINES);
    const to = Math.min(Math.max(lines.length, 1), last + SNIPPET_CONTEXT_LINES);
    const previous = ranges[ranges.length - 1];
    if (previous && from <= previous.to + 1) previous.to = Math.max(previous.to, to);
    else ranges.push({ from, to });
  }
  const shownLines = (from: number, to: number) => {
    const out: string[] = [];
    for (let n = from; n <= to && n <= lines.length; n++) out.push(numberedLine(n, lines[n - 1] ?? ""));
    return out;
  };
  return ranges
    .map(({ from, to }) => {
      if (to - from + 1 <= MAX_SNIPPET_LINES) return shownLines(from, to).join("\n");
      const headEnd = from + MAX_SNIPPET_LINES / 2 - 1;
      const tailStart = to - MAX_SNIPPET_LINES / 4 + 1;
      return [...shownLines(from, headEnd), `   ... (lines ${headEnd + 1}-${tailStart - 1} not shown)`, ...shownLines(tailStart, to)].join("\n");
    })
    .join("\n   ...\n");
}
