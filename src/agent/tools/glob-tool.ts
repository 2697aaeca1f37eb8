import { lstat, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { resolveInWorktree } from "./confine-path.js";
import { defineTool } from "./define-tool.js";
import { compileGlob, GlobPatternError, hasGlobMagic } from "./glob-pattern.js";
import { listFiles } from "./list-files.js";
import type { Tool, ToolContext, ToolResult } from "./tool.js";
import { optional, text } from "./tool-input.js";
import { toolError, toolSuccess } from "./tool-result.js";

export const DEFAULT_GLOB_MAX_RESULTS = 1000;

export interface GlobToolOptions {
  maxResults?: number;
}

const schema = z
  .object({
    pattern: text("the glob pattern to match files against", { nonEmpty: true }),
    path: optional(text("the directory to search in")),
  })
  .strict();

export function createGlobTool(options: GlobToolOptions = {}): Tool {
  const maxResults = options.maxResults ?? DEFAULT_GLOB_MAX_RESULTS;
  return defineTool({
    name: "Glob",
    readOnly: true,
    description:
      'Finds files by name pattern, such as "**/*.ts" or "src/**/index.{js,ts}", and returns their paths relative to ' +
      "the repository root, most recently modified first. * and ? match within one directory level, ** any number " +
      "of levels. Files ignored by .gitignore are left out. Use it to find files by name; use Grep to find files " +
      `by content. At most ${maxResults} paths are returned.`,
    inputSchema: {
      type: "object",
      properties: {
        pattern: { type: "string", description: "The glob pattern to match files against" },
        path: {
          type: "string",
          description:
            "The directory to search in, absolute or relative to the repository root (default: the repository root). " +
            "Omit it for the default; do not pass null or \"undefined\"",
        },
      },
      required: ["pattern"],
      additionalProperties: false,
    },
    usage: "Glob{pattern: string, path?: string}",
    schema,
    execute: (input, context) => glob(input.pattern, input.path, context, maxResults),
  });
}

async function glob(rawPattern: string, rawPath: string | undefined, context: ToolContext, maxResults: number): Promise<ToolResult> {
  if (context.signal.aborted) return toolError("Glob was cancelled because the run is stopping.");
  let pattern = rawPattern;
  let basePath = rawPath === undefined || rawPath === "" || rawPath === "undefined" ? "." : rawPath;
  // An absolute pattern ("/repo/src/**/*.ts") is a directory plus a pattern.
  if (path.isAbsolute(pattern)) {
    const segments = pattern.split("/");
    const literal = segments.findIndex((segment) => hasGlobMagic(segment));
    const split = literal === -1 ? segments.length - 1 : literal;
    basePath = segments.slice(0, split).join("/") || "/";
    pattern = segments.slice(split).join("/");
  }
  pattern = pattern.replace(/^(?:\.\/)+/, "");
  if (pattern.split("/").includes("..")) {
    return toolError(
      `The pattern ${JSON.stringify(rawPattern)} contains "..": patterns match files inside path. ` +
        "To look elsewhere in the repository, set path to that directory instead.",
    );
  }

  const base = await resolveInWorktree(context.worktree, basePath);
  if (!base.ok) return toolError(base.message);
  const baseStats = await stat(base.absolute).catch(() => undefined);
  if (!baseStats) return toolError(`Directory does not exist: ${base.relative}. Leave path out to search the whole repository.`);
  if (!baseStats.isDirectory()) {
    return toolError(`path must be a directory, and ${base.relative} is a file. To look at that file, use Read.`);
  }

  // Leading plain directories ("src/agent/**") narrow what is listed, and reach into ignored ones (node_modules/x/**).
  const segments = pattern.split("/").filter((segment, index, all) => segment !== "" || index === all.length - 1);
  // "src/" means everything in src.
  if (segments[segments.length - 1] === "") segments[segments.length - 1] = "**";
  let prefixLength = 0;
  while (prefixLength < segments.length - 1 && !hasGlobMagic(segments[prefixLength]!)) prefixLength++;
  const prefix = segments.slice(0, prefixLength).join("/");
  const rest = segments.slice(prefixLength).join("/");

  const searchDir = prefix === "" ? base : await resolveInWorktree(context.worktree, path.join(base.absolute, prefix));
  if (!searchDir.ok) return toolError(searchDir.message);
  const shownDir = searchDir.relative;
  const where = base.relative === "." ? "the repository" : base.relative;
  const notFound = (hint = "") => toolSuccess(`No files found matching ${JSON.stringify(rawPattern)} in ${where}.${hint}`);
  if (!(await stat(searchDir.absolute).then((s) => s.isDirectory(), () => false))) return notFound();

  let matches: (candidate: string) => boolean;
  try {
    matches = compileGlob(rest);
  } catch (error) {
    if (error instanceof GlobPatternError) return toolError(`Invalid pattern: ${error.message}.`);
    throw error;
  }
  const listing = await listFiles(searchDir.absolute, context.signal);
  const display = (file: string) => (shownDir === "." ? file : `${shownDir}/${file}`);
  const found = await withModificationTimes(
    searchDir.absolute,
    listing.files.filter((file) => matches(file)),
  );

  if (found.length === 0) {
    if (!rest.includes("/")) {
      const deeper = compileGlob(`**/${rest}`);
      const count = (await withModificationTimes(searchDir.absolute, listing.files.filter((file) => deeper(file)))).length;
      if (count > 0) {
        return notFound(
          ` Patterns without a "/" match only at the top of the directory; "**/${rest}" would match ${count} file${count === 1 ? "" : "s"} at any depth.`,
        );
      }
    }
    return notFound();
  }

  found.sort((a, b) => b.mtimeMs - a.mtimeMs || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const lines = found.slice(0, maxResults).map(({ file }) => display(file));
  if (found.length > maxResults) {
    lines.push(
      `[Showing the ${maxResults} most recently modified of ${found.length} matching files. ` +
        "Use a narrower pattern or path to see the others.]",
    );
  }
  if (listing.truncated) lines.push("[The directory holds too many files to list them all; some matches may be missing.]");
  return toolSuccess(lines.join("\n"));
}

/** Regular files only (no symlinks, no tracked files deleted since), with their modification times. */
async function withModificationTimes(directory: string, files: readonly string[]): Promise<Array<{ file: string; mtimeMs: number }>> {
  const result: Array<{ file: string; mtimeMs: number }> = [];
  const BATCH = 256;
  for (let i = 0; i < files.length; i += BATCH) {
    const batch = await Promise.all(
      files.slice(i, i + BATCH).map(async (file) => {
        const stats = await lstat(path.join(directory, file)).catch(() => undefined);
        return stats?.isFile() ? { file, mtimeMs: stats.mtimeMs } : undefined;
      }),
    );
    for (const entry of batch) if (entry) result.push(entry);
  }
  return result;
}
