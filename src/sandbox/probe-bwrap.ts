import { ISOLATION_FLAGS } from "./bwrap-arguments.js";
import { runProcess } from "./process-runner.js";
import { DEFAULT_PATH, buildSafeEnv } from "./safe-env.js";

export type BwrapProbe = { usable: true } | { usable: false; reason: string };

const PROBE_TIMEOUT_MS = 10_000;

/**
 * Starts one throw-away sandbox with every feature a real run uses. Finding
 * the binary is not enough: inside many containers bubblewrap exists but may
 * not create namespaces or mount /proc.
 */
export async function probeBwrap(bwrapPath: string, parentEnv: NodeJS.ProcessEnv = process.env): Promise<BwrapProbe> {
  // The same PATH the sandboxes will search for bwrap, so the probe finds the same binary.
  const { PATH: path } = buildSafeEnv(parentEnv, undefined, "/");
  const argv: [string, ...string[]] = [
    bwrapPath,
    ...ISOLATION_FLAGS,
    "--unshare-net",
    "--ro-bind",
    "/",
    "/",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--tmpfs",
    "/tmp",
    "--remount-ro",
    "/tmp",
    "--chdir",
    "/",
    "--clearenv",
    "--setenv",
    "PATH",
    DEFAULT_PATH,
    "--",
    "/bin/bash",
    "-c",
    "exit 0",
  ];
  try {
    const env = { PATH: path ?? DEFAULT_PATH };
    const result = await runProcess({ argv, cwd: "/", env, timeoutMs: PROBE_TIMEOUT_MS });
    if (result.exitCode === 0) return { usable: true };
    const detail =
      result.stderr.trim() || (result.timedOut ? "it did not finish within 10 s" : `exit code ${result.exitCode}`);
    return { usable: false, reason: `${bwrapPath} failed to start a sandbox: ${detail}` };
  } catch (error) {
    const missing = (error as { cause?: NodeJS.ErrnoException }).cause?.code === "ENOENT";
    return {
      usable: false,
      reason: missing ? `${bwrapPath} was not found` : error instanceof Error ? error.message : String(error),
    };
  }
}
