import type { Sandbox, SandboxPaths } from "../sandbox/sandbox.js";

/** planwright's own run of the repository's setup or test command. */
export interface CommandOutcome {
  command: string;
  passed: boolean;
  exitCode: number | null;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
  /** The end of the output: where test runners print what failed. */
  outputTail: string;
}

export interface ProjectCommandOptions {
  sandbox: Sandbox;
  worktree: string;
  command: string;
  timeoutMs: number;
  signal?: AbortSignal;
  homeDir?: string;
  /** The repository's git metadata, for test suites (and setup scripts) that run git. */
  sandboxPaths?: SandboxPaths;
  /** Setup needs the registry; tests usually don't (but many suites start servers on loopback). */
  network?: boolean;
}

const TAIL_LINES = 80;
const TAIL_CHARS = 6_000;

/**
 * Runs a command the way planwright judges the work: in the sandbox, with a
 * timeout, and with the verdict taken from the exit code, not from anyone's
 * claim.
 */
export async function runProjectCommand(options: ProjectCommandOptions): Promise<CommandOutcome> {
  const result = await options.sandbox.run({
    command: options.command,
    cwd: options.worktree,
    timeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.homeDir ? { homeDir: options.homeDir } : {}),
    ...(options.sandboxPaths
      ? { readOnlyPaths: options.sandboxPaths.readOnly, writablePaths: options.sandboxPaths.writable }
      : {}),
    network: options.network ?? true,
  });
  return {
    command: options.command,
    passed: result.exitCode === 0 && !result.timedOut && !result.cancelled,
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    cancelled: result.cancelled,
    durationMs: result.durationMs,
    // Past the sandbox's cap the collected output is the head; its end is kept apart.
    outputTail: tailOf(result.truncated && result.outputEnd ? result.outputEnd : result.output),
  };
}

export function tailOf(output: string): string {
  const lines = output.trimEnd().split("\n");
  let tail = lines.slice(-TAIL_LINES).join("\n");
  if (tail.length > TAIL_CHARS) tail = tail.slice(tail.length - TAIL_CHARS);
  return tail;
}

export function describeOutcome(outcome: CommandOutcome): string {
  if (outcome.cancelled) return "was stopped";
  if (outcome.timedOut) return `timed out after ${Math.round(outcome.durationMs / 1000)}s`;
  return outcome.passed ? "passed" : `failed with exit code ${outcome.exitCode ?? "unknown"}`;
}
