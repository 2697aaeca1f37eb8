import { z } from "zod";
import type { CommandResult } from "../../sandbox/sandbox.js";
import { defineTool } from "./define-tool.js";
import { formatBytes } from "./format-bytes.js";
import type { Tool } from "./tool.js";
import { optional, text, wholeNumber } from "./tool-input.js";
import { toolError, toolSuccess } from "./tool-result.js";

export interface BashToolOptions {
  /**
   * Per-stream output the sandbox keeps (its default is 10 MiB). The agent
   * loop cuts long output to head and tail anyway; this only bounds memory.
   */
  maxOutputBytes?: number;
}

const schema = z
  .object({
    command: text("the shell command to run", { nonEmpty: true }),
    timeout: optional(wholeNumber(1)),
    description: optional(text("what the command does, in a few words")),
  })
  .strict();

export function createBashTool(options: BashToolOptions = {}): Tool {
  return defineTool({
    name: "Bash",
    readOnly: false,
    description:
      "Runs a command with /bin/bash -c in the repository root and returns its output (stdout and stderr " +
      "together) and exit code. Each call starts a fresh shell there: `cd` and exported variables do not carry " +
      "over to the next call, so chain dependent steps with && in one command. The command cannot read input " +
      "(stdin is closed) and must finish on its own: start nothing that waits for input, and run servers or " +
      "watchers only briefly (e.g. with `timeout`). Change files only inside the repository. Use Read, Edit, " +
      "Write, Glob and Grep for files instead of cat, sed, find or grep. timeout is in milliseconds; a command still " +
      "running then is killed with everything it started.",
    inputSchema: {
      type: "object",
      properties: {
        command: { type: "string", description: "The command to run" },
        timeout: {
          type: "number",
          description: "Optional timeout in milliseconds; the run's default applies when omitted, and long values are capped",
        },
        description: {
          type: "string",
          description: "What the command does in 5-10 words, e.g. 'Run the unit tests'",
        },
      },
      required: ["command"],
      additionalProperties: false,
    },
    usage: "Bash{command: string, timeout?: number (milliseconds), description?: string}",
    schema,
    async execute(input, context) {
      const requested = input.timeout ?? context.bashDefaultTimeoutMs;
      const timeoutMs = Math.min(requested, context.bashMaxTimeoutMs);
      let result: CommandResult;
      try {
        result = await context.sandbox.run({
          command: input.command,
          cwd: context.worktree,
          timeoutMs,
          signal: context.signal,
          ...(context.homeDir === undefined ? {} : { homeDir: context.homeDir }),
          ...(context.sandboxPaths === undefined
            ? {}
            : { readOnlyPaths: context.sandboxPaths.readOnly, writablePaths: context.sandboxPaths.writable }),
          ...(options.maxOutputBytes === undefined ? {} : { maxOutputBytes: options.maxOutputBytes }),
          ...(context.network === false ? { network: false } : {}),
        });
      } catch (error) {
        return toolError(`The command could not be started: ${error instanceof Error ? error.message : String(error)}`);
      }

      const notes: string[] = [];
      if (input.timeout !== undefined && input.timeout > context.bashMaxTimeoutMs) {
        notes.push(`The timeout asked for (${seconds(input.timeout)}) was capped at the maximum, ${seconds(timeoutMs)}.`);
      }
      if (result.truncated) {
        notes.push(
          `[Output truncated: only the first ${formatBytes(options.maxOutputBytes ?? 10 * 1024 * 1024)} of each stream ` +
            "was kept. Redirect long output to a file and read the part you need.]",
        );
      }
      for (const warning of result.warnings ?? []) notes.push(`Warning: ${warning}.`);

      let status: string;
      if (result.timedOut) {
        status = `Command timed out after ${seconds(timeoutMs)}; the whole process group was killed.`;
      } else if (result.cancelled) {
        status = "Command cancelled because the run is stopping; the whole process group was killed.";
      } else if (result.exitCode === null) {
        status = `Command was killed by signal ${result.signal ?? "unknown"}.`;
      } else {
        status = `Exit code: ${result.exitCode}`;
      }

      const output = result.output === "" ? "(no output)\n" : result.output.endsWith("\n") ? result.output : `${result.output}\n`;
      const content = output + notes.map((note) => `${note}\n`).join("") + status;
      // A failing command is information for the model, not a failed tool call; not finishing is.
      return result.timedOut || result.cancelled ? toolError(content) : toolSuccess(content);
    },
  });
}

function seconds(ms: number): string {
  const value = ms / 1000;
  return `${Number.isInteger(value) ? value : value.toFixed(1)}s`;
}
