import { spawn, type ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import { OutputCollector } from "./output-collector.js";
import { ProcessGroup } from "./process-group.js";
import type { CommandResult } from "./sandbox.js";

export const DEFAULT_MAX_OUTPUT_BYTES = 10 * 1024 * 1024;
export const DEFAULT_KILL_GRACE_MS = 2_000;
/** Longest delay setTimeout accepts; longer timeouts would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * After every process of the command is gone its pipes close within moments;
 * if they do not, something that escaped the group still holds them, and
 * waiting for it would hang the run.
 */
const DRAIN_MS = 1_000;

export const UNKILLABLE_WARNING =
  "some processes the command started were still running after SIGKILL " +
  "(stuck in the kernel, or outside planwright's reach) and were left behind";

export interface RunProcessOptions {
  /** Program and arguments; use `bashCommand()` for a shell command line. */
  argv: readonly [string, ...string[]];
  cwd: string;
  /** The complete environment (nothing is inherited). */
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Per stream; defaults to 10 MiB. */
  maxOutputBytes?: number;
  /** Between SIGTERM and SIGKILL; defaults to 2 s. */
  killGraceMs?: number;
}

/** `/bin/bash -c <command>`: no login or rc files, so nothing from the host's profile runs. */
export function bashCommand(command: string): readonly [string, ...string[]] {
  return ["/bin/bash", "-c", command];
}

/**
 * Runs a program as the leader of its own process group and waits until it
 * and everything it started are gone. A failing, timed-out or cancelled
 * command resolves with a result saying so; only a program that cannot be
 * started at all rejects.
 *
 * When the leader exits, whatever it left running in its group (a forgotten
 * `server &`) is terminated too, so no command outlives its run. A child that
 * called setsid() and was orphaned before that point escapes; only bubblewrap's
 * pid namespace catches those.
 */
export function runProcess(options: RunProcessOptions): Promise<CommandResult> {
  const started = performance.now();
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const [file, ...args] = options.argv;
  if (!(options.timeoutMs > 0)) {
    return Promise.reject(
      new Error(`sandbox: timeoutMs must be a positive number of milliseconds (got ${options.timeoutMs})`),
    );
  }
  if (options.signal?.aborted) {
    return Promise.resolve({
      exitCode: null,
      signal: null,
      stdout: "",
      stderr: "",
      output: "",
      timedOut: false,
      cancelled: true,
      durationMs: 0,
      truncated: false,
    });
  }

  return new Promise<CommandResult>((resolve, reject) => {
    const startError = (cause: unknown) =>
      new Error(
        `sandbox: could not start ${file} in ${options.cwd}: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        cwd: options.cwd,
        env: options.env,
        // Its own process group (and session, so it has no controlling terminal): one kill reaches all of it.
        detached: true,
        // A command waiting for input gets end-of-file instead of hanging until its timeout.
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      reject(startError(error));
      return;
    }
    if (child.pid === undefined) {
      child.once("error", (error) => reject(startError(error)));
      return;
    }
    // After a successful spawn, "error" only reports failed signals, which the group handles itself.
    child.on("error", () => {});

    const group = new ProcessGroup(child.pid);
    const output = new OutputCollector(maxOutputBytes);
    let timedOut = false;
    let cancelled = false;
    let streamsClosed = false;
    let onStreamsClosed: (() => void) | undefined;

    child.stdout?.on("data", (chunk: Buffer) => output.push("stdout", chunk));
    child.stderr?.on("data", (chunk: Buffer) => output.push("stderr", chunk));
    child.once("close", () => {
      streamsClosed = true;
      onStreamsClosed?.();
    });

    const stop = (reason: "timeout" | "abort") => {
      if (timedOut || cancelled) return;
      if (reason === "timeout") timedOut = true;
      else cancelled = true;
      void group.terminate(killGraceMs);
    };
    const timer = setTimeout(() => stop("timeout"), Math.min(options.timeoutMs, MAX_TIMER_MS));
    const onAbort = () => stop("abort");
    options.signal?.addEventListener("abort", onAbort, { once: true });

    child.once("exit", (exitCode, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      void (async () => {
        // Cannot throw short of a bug; even then the caller must get its result rather than hang.
        const allGone = await group.reapLeftovers(killGraceMs).catch(() => false);
        if (!streamsClosed) {
          await new Promise<void>((done) => {
            const drainTimer = setTimeout(done, DRAIN_MS);
            onStreamsClosed = () => {
              clearTimeout(drainTimer);
              done();
            };
          });
        }
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve({
          exitCode,
          signal,
          ...output.finish(),
          timedOut,
          cancelled,
          durationMs: Math.round(performance.now() - started),
          ...(allGone ? {} : { warnings: [UNKILLABLE_WARNING] }),
        });
      })();
    });
  });
}
