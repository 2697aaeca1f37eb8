import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface PlanwrightWorker {
  output: () => string;
  stop(): Promise<void>;
}

/**
 * `node dist/cli/main.js worker --grace-seconds 1` in its own process, from a
 * working directory with no `.env`, configured only through `env` (which must
 * hold REDIS_URL). Resolves once it has printed its start-up summary line.
 */
export async function startPlanwrightWorker(env: Record<string, string>): Promise<PlanwrightWorker> {
  const cwd = await mkdtemp(path.join(os.tmpdir(), "pw-worker-cwd-"));
  const child = spawn(process.execPath, [path.join(ROOT, "dist/cli/main.js"), "worker", "--grace-seconds", "1"], {
    cwd,
    // No health port unless asked: two workers (or a developer's own) must not fight over 3001.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? cwd, LOG_LEVEL: "warn", PLANWRIGHT_WORKER_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 20_000;
  while (!/^planwright worker \S+: /m.test(output)) {
    if (child.exitCode !== null) throw new Error(`planwright worker exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`planwright worker did not start within 20 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
      await rm(cwd, { recursive: true, force: true });
    },
  };
}
