import { TOOL_NAMES, type ToolName } from "../../agents/definition.js";
import { createBashTool, type BashToolOptions } from "./bash-tool.js";
import { createEditTool } from "./edit-tool.js";
import { createGlobTool, type GlobToolOptions } from "./glob-tool.js";
import { createGrepTool, type GrepToolOptions } from "./grep-tool.js";
import { createReadTool, type ReadToolOptions } from "./read-tool.js";
import type { Tool } from "./tool.js";
import { createWriteTool } from "./write-tool.js";

export interface CreateToolsOptions {
  read?: ReadToolOptions;
  bash?: BashToolOptions;
  glob?: GlobToolOptions;
  grep?: GrepToolOptions;
}

/** Makes one tool by its Claude Code name. */
export function createTool(name: ToolName, options: CreateToolsOptions = {}): Tool {
  switch (name) {
    case "Read":
      return createReadTool(options.read);
    case "Write":
      return createWriteTool();
    case "Edit":
      return createEditTool();
    case "Bash":
      return createBashTool(options.bash);
    case "Glob":
      return createGlobTool(options.glob);
    case "Grep":
      return createGrepTool(options.grep);
  }
}

/**
 * The tools a definition's `tools:` line names, each once, in a fixed order
 * (TOOL_NAMES') whatever the line's order: the tool list is part of the
 * cached prompt prefix, so it must not change between runs of a definition.
 */
export function createTools(names: readonly ToolName[], options: CreateToolsOptions = {}): Tool[] {
  const wanted = new Set(names);
  return TOOL_NAMES.filter((name) => wanted.has(name)).map((name) => createTool(name, options));
}

/** The tool the model called by name, if the run has it. */
export function toolByName(tools: readonly Tool[], name: string): Tool | undefined {
  return tools.find((tool) => tool.name === name);
}
