import type { ToolResult } from "./tool.js";

export function toolSuccess(content: string): ToolResult {
  return { content, isError: false };
}

/** A result the model must act on: say what was wrong and how to do it right. */
export function toolError(content: string): ToolResult {
  return { content, isError: true };
}
