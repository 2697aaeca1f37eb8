import type { z } from "zod";
import { messageOf } from "../../errors.js";
import type { Tool, ToolContext, ToolResult } from "./tool.js";
import { parseToolInput } from "./tool-input.js";
import { toolError } from "./tool-result.js";

export interface ToolSpec<Input> extends Omit<Tool, "run"> {
  /** The correct form of a call, quoted in input errors: `Read{file_path: string, ...}`. */
  usage: string;
  schema: z.ZodType<Input>;
  execute(input: Input, context: ToolContext): Promise<ToolResult>;
}

/**
 * A tool whose `run` never throws: bad input and unexpected failures both
 * come back as error results, so one broken call cannot end the run.
 */
export function defineTool<Input>(spec: ToolSpec<Input>): Tool {
  const { usage, schema, execute, ...tool } = spec;
  return {
    ...tool,
    async run(input: unknown, context: ToolContext): Promise<ToolResult> {
      const parsed = parseToolInput(tool.name, schema, input, usage);
      if (!parsed.ok) return parsed.result;
      try {
        return await execute(parsed.value, context);
      } catch (error) {
        return toolError(`${tool.name} failed: ${messageOf(error)}`);
      }
    },
  };
}
