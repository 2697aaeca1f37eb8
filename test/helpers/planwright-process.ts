import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./free-port.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface PlanwrightProcess {
  url: string;
  webhookUrl: string;
  child: ChildProcess;
  /** Everything it printed, for failure messages. */
  output: () => string;
  /** SIGKILL: a crash, no chance to clean up. */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The real server, as an operator starts it: `probot run ./dist/index.js` in
 * its own process, from a working directory with no `.env`, configured only
 * through its environment.
 */
export async function startPlanwright(env: Record<string, string>): Promise<PlanwrightProcess> {
  const port = await freePort();
  const cwd = await mkdtemp(path.join(os.tmpdir(), "pw-server-cwd-"));
  const child = spawn(process.execPath, [path.join(ROOT, "node_modules/probot/bin/probot.js"), "run", path.join(ROOT, "dist/index.js")], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? cwd, HOST: "127.0.0.1", PORT: String(port), LOG_LEVEL: "warn", NO_SMEE_SETUP: "true", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`planwright exited with ${child.exitCode}:\n${output}`);
    const ok = await fetch(`${url}/ping`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`planwright did not start within 20 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    webhookUrl: `${url}/api/github/webhooks`,
    child,
    output: () => output,
    async crash() {
      child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Polls until `probe` returns a value; fails with `what` and the server's output. */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 60_000, server?: PlanwrightProcess): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${server ? `\n--- planwright output ---\n${server.output()}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
