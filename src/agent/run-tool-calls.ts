import type Anthropic from "@anthropic-ai/sdk";
import type { Tool, ToolContext, ToolResult } from "./tools/tool.js";
import type { Transcript } from "./transcript.js";
import { truncateMiddle } from "./truncate-output.js";

type ToolUseBlock = Anthropic.Messages.ToolUseBlock;
type ToolResultBlockParam = Anthropic.Messages.ToolResultBlockParam;

export interface ToolCallPolicy {
  maxOutputChars: number;
  transcript: Transcript;
  onTool?: (name: string, summary: string) => void;
}

/**
 * Runs one turn's tool calls and returns their results in the order asked.
 * Consecutive read-only calls run at once; a call that changes something runs
 * alone, after everything before it, so the model's intended order holds.
 */
export async function runToolCalls(
  calls: readonly ToolUseBlock[],
  tools: readonly Tool[],
  context: ToolContext,
  policy: ToolCallPolicy,
): Promise<ToolResultBlockParam[]> {
  const results: ToolResultBlockParam[] = new Array(calls.length);
  let index = 0;
  while (index < calls.length) {
    const batch: number[] = [index];
    if (toolFor(calls[index]!, tools)?.readOnly) {
      while (index + batch.length < calls.length && toolFor(calls[index + batch.length]!, tools)?.readOnly) {
        batch.push(index + batch.length);
      }
    }
    await Promise.all(
      batch.map(async (i) => {
        results[i] = await runOne(calls[i]!, tools, context, policy);
      }),
    );
    index += batch.length;
  }
  return results;
}

async function runOne(call: ToolUseBlock, tools: readonly Tool[], context: ToolContext, policy: ToolCallPolicy): Promise<ToolResultBlockParam> {
  policy.onTool?.(call.name, summarize(call.input));
  policy.transcript.write({ type: "tool_call", id: call.id, name: call.name, input: call.input });
  const tool = toolFor(call, tools);
  let result: ToolResult;
  if (!tool) {
    result = { isError: true, content: `There is no tool named ${call.name}. Available tools: ${tools.map((t) => t.name).join(", ")}.` };
  } else if (context.signal.aborted) {
    result = { isError: true, content: "The run was stopped before this tool ran." };
  } else {
    try {
      result = await tool.run(call.input, context);
    } catch (error) {
      // Tools return their own errors; this is a bug in a tool, still reported to the model, never thrown.
      result = { isError: true, content: `${call.name} failed unexpectedly: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  const content = truncateMiddle(result.content || "(no output)", Math.max(policy.maxOutputChars, tool?.maxOutputChars ?? 0));
  policy.transcript.write({ type: "tool_result", id: call.id, name: call.name, isError: result.isError, content });
  return { type: "tool_result", tool_use_id: call.id, content, ...(result.isError ? { is_error: true } : {}) };
}

function toolFor(call: ToolUseBlock, tools: readonly Tool[]): Tool | undefined {
  return tools.find((t) => t.name === call.name);
}

/** One line for progress output: the command or path the tool was given. */
function summarize(input: unknown): string {
  if (typeof input !== "object" || input === null) return "";
  const record = input as Record<string, unknown>;
  const value = record.command ?? record.file_path ?? record.pattern ?? record.path ?? "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
