import type { ToolName } from "../../agents/definition.js";
import type { Sandbox, SandboxPaths } from "../../sandbox/sandbox.js";

/** What every tool call gets: the worktree it is confined to and the run's sandbox. */
export interface ToolContext {
  /** Absolute, symlink-resolved path of the worktree. Every path a tool touches must stay inside it. */
  worktree: string;
  sandbox: Sandbox;
  /** Aborted when the run is stopped; long tools (Bash, Grep) must stop too. */
  signal: AbortSignal;
  /** Bash: timeout when the model gives none, and the most it may ask for. */
  bashDefaultTimeoutMs: number;
  bashMaxTimeoutMs: number;
  /** HOME shared by the run's Bash commands, so caches survive between calls. */
  homeDir?: string;
  /** What Bash commands must see besides the worktree: the repository's git metadata, so `git diff` works. */
  sandboxPaths?: SandboxPaths;
  /** False cuts Bash commands off the network (the repository's `commands.network`). */
  network?: boolean;
}

/** What goes back to the model as a `tool_result`. Errors are results too, never exceptions. */
export interface ToolResult {
  content: string;
  isError: boolean;
}

/**
 * One agent tool, with Claude Code's name and input schema so the model gets
 * the tools it was trained on and Claude Code definitions work unchanged.
 */
export interface Tool {
  name: ToolName;
  description: string;
  /** JSON Schema of the input, as the Messages API's `input_schema`. */
  inputSchema: { type: "object"; properties: Record<string, unknown>; required?: string[]; additionalProperties?: boolean };
  /** True when the tool never changes anything, so several calls in one turn can run at once. */
  readOnly: boolean;
  /**
   * The tool stops its own output at this many characters, with a note saying
   * how to get the rest (Read's offset). The loop's cut of long results, which
   * drops the middle, then applies only above it: a Read would otherwise come
   * back with lines missing from the middle and a note contradicting its own.
   */
  maxOutputChars?: number;
  run(input: unknown, context: ToolContext): Promise<ToolResult>;
}
