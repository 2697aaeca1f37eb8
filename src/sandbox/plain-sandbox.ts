import { DEFAULT_KILL_GRACE_MS, bashCommand, runProcess } from "./process-runner.js";
import { realDirectory } from "./real-directory.js";
import { buildSafeEnv } from "./safe-env.js";
import type { CommandRequest, CommandResult, Sandbox } from "./sandbox.js";
import { createScratchDir } from "./scratch-dir.js";

export interface PlainSandboxOptions {
  log?: { warn(msg: string): void };
  /** Where allow-listed variables come from; defaults to `process.env`. */
  parentEnv?: NodeJS.ProcessEnv;
  killGraceMs?: number;
}

export const NETWORK_NOT_ENFORCED =
  "network: false was requested but is not enforced: without bubblewrap, commands share the host's network";

/**
 * Runs commands as ordinary child processes with a scrubbed environment and a
 * private HOME and TMPDIR. It does not isolate anything else: the command can
 * read whatever planwright's user can (including its data directory and key
 * files) and reach the network. It is the fallback where bubblewrap cannot run.
 */
export class PlainSandbox implements Sandbox {
  readonly kind = "none";
  private readonly log: { warn(msg: string): void } | undefined;
  private readonly parentEnv: NodeJS.ProcessEnv;
  private readonly killGraceMs: number;
  private warnedAboutNetwork = false;

  constructor(options: PlainSandboxOptions = {}) {
    this.log = options.log;
    this.parentEnv = options.parentEnv ?? process.env;
    this.killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  }

  async run(request: CommandRequest): Promise<CommandResult> {
    // `readOnlyPaths` and `writablePaths` need nothing here: nothing is hidden.
    await realDirectory(request.cwd, "working directory");
    const home = request.homeDir === undefined ? undefined : await realDirectory(request.homeDir, "home directory");
    const scratch = await createScratchDir();
    try {
      const env = buildSafeEnv(this.parentEnv, request.env, home ?? scratch.home, scratch.tmp);
      const result = await runProcess({
        argv: bashCommand(request.command),
        cwd: request.cwd,
        env,
        timeoutMs: request.timeoutMs,
        signal: request.signal,
        maxOutputBytes: request.maxOutputBytes,
        killGraceMs: this.killGraceMs,
      });
      if (request.network === false) {
        if (!this.warnedAboutNetwork) this.log?.warn(`sandbox: ${NETWORK_NOT_ENFORCED}`);
        this.warnedAboutNetwork = true;
        result.warnings = [...(result.warnings ?? []), NETWORK_NOT_ENFORCED];
      }
      return result;
    } finally {
      await scratch
        .remove()
        .catch((error: unknown) => this.log?.warn(`sandbox: could not remove a temporary directory: ${String(error)}`));
    }
  }
}
