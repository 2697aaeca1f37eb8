import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import { bwrapArguments, type HiddenPath } from "./bwrap-arguments.js";
import { exposedDirectories } from "./exposed-directories.js";
import { DEFAULT_KILL_GRACE_MS, runProcess } from "./process-runner.js";
import { realDirectory } from "./real-directory.js";
import { buildSafeEnv } from "./safe-env.js";
import type { CommandRequest, CommandResult, Sandbox } from "./sandbox.js";
import { createScratchDir } from "./scratch-dir.js";

export const DEFAULT_BWRAP_PATH = "bwrap";

export interface BwrapSandboxOptions {
  /**
   * Files and directories the command must not see: planwright's data
   * directory, its `.env`, the GitHub App's private key. Directories appear
   * empty, files unreadable. Paths that do not exist when a command starts
   * are skipped. A worktree (or home) inside a hidden directory stays visible,
   * as do a request's `readOnlyPaths` and `writablePaths`; a hidden path
   * itself can never be asked for.
   */
  hiddenPaths: string[];
  /** The bubblewrap binary; found on PATH by default. */
  bwrapPath?: string;
  /** Where allow-listed variables come from; defaults to `process.env`. */
  parentEnv?: NodeJS.ProcessEnv;
  log?: { warn(msg: string): void };
  killGraceMs?: number;
}

/**
 * Runs each command in a bubblewrap sandbox: the system read-only, the
 * worktree, a private HOME and the request's `writablePaths` the only
 * writable real paths, `readOnlyPaths` shown through the hiding, a private /tmp,
 * the hidden paths covered, its own pid/ipc/uts namespaces (and network
 * namespace when `network: false`), no capabilities, and a scrubbed
 * environment.
 */
export class BwrapSandbox implements Sandbox {
  readonly kind = "bwrap";
  private readonly hiddenPaths: readonly string[];
  private readonly bwrapPath: string;
  private readonly parentEnv: NodeJS.ProcessEnv;
  private readonly log: { warn(msg: string): void } | undefined;
  private readonly killGraceMs: number;

  constructor(options: BwrapSandboxOptions) {
    this.hiddenPaths = options.hiddenPaths.map((hidden) => path.resolve(hidden));
    this.bwrapPath = options.bwrapPath ?? DEFAULT_BWRAP_PATH;
    this.parentEnv = options.parentEnv ?? process.env;
    this.log = options.log;
    this.killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  }

  async run(request: CommandRequest): Promise<CommandResult> {
    const worktree = await realDirectory(request.cwd, "working directory");
    const ownHome = request.homeDir === undefined ? undefined : await realDirectory(request.homeDir, "home directory");
    const hidden = await resolveHidden(this.hiddenPaths);
    const readOnly = await exposedDirectories(request.readOnlyPaths, hidden, "read-only");
    const writable = await exposedDirectories(request.writablePaths, hidden, "writable");
    const scratch = await createScratchDir();
    try {
      const home = ownHome ?? (await realpath(scratch.home));
      const env = buildSafeEnv(this.parentEnv, request.env, home, "/tmp");
      const args = bwrapArguments({
        worktree,
        home,
        hidden,
        readOnly,
        writable,
        network: request.network !== false,
        env,
      });
      return await runProcess({
        argv: [this.bwrapPath, ...args, "--", "/bin/bash", "-c", request.command],
        cwd: worktree,
        env,
        timeoutMs: request.timeoutMs,
        signal: request.signal,
        maxOutputBytes: request.maxOutputBytes,
        killGraceMs: this.killGraceMs,
      });
    } finally {
      await scratch
        .remove()
        .catch((error: unknown) => this.log?.warn(`sandbox: could not remove a temporary directory: ${String(error)}`));
    }
  }
}

/**
 * Looks the hidden paths up now rather than once at construction: the data
 * directory may be created after the sandbox is. Symlinks are resolved, since
 * a mount covers the real path and so whatever link leads to it.
 */
async function resolveHidden(paths: readonly string[]): Promise<HiddenPath[]> {
  const resolved = await Promise.all(
    paths.map(async (hidden): Promise<HiddenPath | undefined> => {
      try {
        const real = await realpath(hidden);
        const kind = (await stat(real)).isDirectory() ? "directory" : "file";
        return { path: real, kind };
      } catch {
        return undefined; // nothing there to hide
      }
    }),
  );
  const unique = new Map<string, HiddenPath>();
  for (const hidden of resolved) if (hidden && hidden.path !== "/") unique.set(hidden.path, hidden);
  return [...unique.values()];
}
