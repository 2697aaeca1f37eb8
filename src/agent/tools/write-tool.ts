import { z } from "zod";
import { resolveInWorktree } from "./confine-path.js";
import { defineTool } from "./define-tool.js";
import { formatBytes } from "./format-bytes.js";
import { countLines } from "./numbered-lines.js";
import type { Tool } from "./tool.js";
import { text } from "./tool-input.js";
import { toolError, toolSuccess } from "./tool-result.js";
import { prepareFileTarget, writeTextFile } from "./write-file-safely.js";

const schema = z
  .object({
    file_path: text("the file to write", { nonEmpty: true }),
    content: text("the whole new content of the file"),
  })
  .strict();

export function createWriteTool(): Tool {
  return defineTool({
    name: "Write",
    readOnly: false,
    description:
      "Writes a file of the repository, replacing it if it exists and creating missing parent directories. " +
      "file_path is absolute or relative to the repository root. Use it for new files and complete rewrites; " +
      "to change part of an existing file, use Edit, which sends only the change. Read a file before overwriting it.",
    inputSchema: {
      type: "object",
      properties: {
        file_path: { type: "string", description: "The file to write: absolute, or relative to the repository root" },
        content: { type: "string", description: "The content to write to the file" },
      },
      required: ["file_path", "content"],
      additionalProperties: false,
    },
    usage: "Write{file_path: string, content: string}",
    schema,
    async execute(input, context) {
      const target = await resolveInWorktree(context.worktree, input.file_path, { access: "write" });
      if (!target.ok) return toolError(target.message);
      const prepared = await prepareFileTarget(target.absolute, target.relative);
      if (!prepared.ok) return toolError(`Cannot write: ${prepared.message}.`);
      await writeTextFile(target.absolute, input.content);
      const lines = countLines(input.content);
      const size = `${formatBytes(Buffer.byteLength(input.content, "utf8"))}, ${lines} line${lines === 1 ? "" : "s"}`;
      return toolSuccess(
        prepared.existed
          ? `Overwrote ${target.relative} (${size}; it was ${formatBytes(prepared.previousSize)} before).`
          : `Created ${target.relative} (${size}).`,
      );
    },
  });
}
