/**
 * Running a shell command on behalf of the agent (its Bash tool) or of
 * planwright (setup and test commands). Implementations: bubblewrap when it is
 * available, a plain child process otherwise. Both scrub the environment.
 */

export interface CommandRequest {
  /** Run with `bash -lc`-like semantics: `/bin/bash -c <command>`. */
  command: string;
  /** The worktree: the only directory the command may write to (besides a private temp dir). */
  cwd: string;
  /** Killed (whole process group) after this long. */
  timeoutMs: number;
  /** Aborting kills the process group at once (a `/backend stop`, a shutdown). */
  signal?: AbortSignal;
  /** Extra variables on top of the allow-list (e.g. `CI=true` is already there). Never secrets. */
  env?: Record<string, string>;
  /** Allow network access (default true). bubblewrap cuts it with a fresh network namespace. */
  network?: boolean;
  /** Stop collecting output beyond this many bytes per stream (the process keeps running). Default 10 MiB. */
  maxOutputBytes?: number;
  /**
   * A writable directory to use as HOME instead of a fresh one per command, so
   * that what one command installs under HOME (`pip install --user`, package
   * caches) is there for the next one of the same run. It must hold nothing
   * secret. Default: a private temporary directory, removed afterwards.
   */
  homeDir?: string;
  /**
   * Directories to show the command read-only although a hidden directory
   * covers them, e.g. the repository metadata of a worktree, which lives in
   * the hidden data directory. Absolute paths of existing directories; a
   * hidden path itself is refused. Ignored where nothing is hidden.
   */
  readOnlyPaths?: string[];
  /** Like `readOnlyPaths`, but writable (a worktree's own index and HEAD). */
  writablePaths?: string[];
}

/**
 * Paths outside the worktree that a run's commands need to see, e.g. for
 * `git status` in a worktree whose repository lives in the hidden data
 * directory. Passed as a request's `readOnlyPaths` and `writablePaths`.
 */
export interface SandboxPaths {
  readOnly: string[];
  writable: string[];
}

export interface CommandResult {
  /** Null when the process was killed by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in arrival order, as a person would see them in a terminal. */
  output: string;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
  /** True when output beyond `maxOutputBytes` was dropped. */
  truncated: boolean;
  /**
   * When output was dropped: its last bytes (at most 64 KiB, both
   * streams in arrival order), since the end of a long test run (the failure,
   * the summary) is what a reader needs. Empty otherwise.
   */
  outputEnd?: string;
  /**
   * What the caller (and the agent) should know about how the command ran,
   * e.g. that `network: false` could not be enforced by this sandbox.
   */
  warnings?: string[];
}

export interface Sandbox {
  readonly kind: "bwrap" | "none";
  run(request: CommandRequest): Promise<CommandResult>;
}
