import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../test/helpers/free-port.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const APP = fileURLToPath(new URL("./bare-probot-app.mjs", import.meta.url));

export interface BareProbot {
  webhookUrl: string;
  stop(): Promise<void>;
}

/**
 * `probot run bench/lib/bare-probot-app.mjs` in its own process, started the
 * way test/helpers/planwright-process.ts starts planwright (same Probot
 * binary, HOST, LOG_LEVEL, no .env), so the two differ only in the app.
 */
export async function startBareProbot(env: Record<string, string>): Promise<BareProbot> {
  const port = await freePort();
  const cwd = await mkdtemp(path.join(os.tmpdir(), "pw-bench-bare-"));
  const child = spawn(process.execPath, [path.join(ROOT, "node_modules/probot/bin/probot.js"), "run", APP], {
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
    if (child.exitCode !== null) throw new Error(`bare Probot exited with ${child.exitCode}:\n${output}`);
    if (await fetch(`${url}/ping`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`bare Probot did not start within 20 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    webhookUrl: `${url}/api/github/webhooks`,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
      await rm(cwd, { recursive: true, force: true });
    },
  };
}
