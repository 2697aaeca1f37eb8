import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { appSecretPaths } from "../../src/sandbox/app-secret-paths.js";
import { BwrapSandbox } from "../../src/sandbox/bwrap-sandbox.js";
import { bwrapSkipReason, bwrapUsable } from "./sandbox-helpers.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/**
 * A working directory laid out as Probot's setup leaves it: .env and the app's key beside it.
 * Under /var/tmp: the sandbox gives commands their own /tmp, which would hide it anyway.
 */
async function appDir(): Promise<{ cwd: string; dataDir: string; worktree: string }> {
  const cwd = await mkdtemp(path.join("/var/tmp", "pw-app-"));
  dirs.push(cwd);
  await writeFile(path.join(cwd, ".env"), "WEBHOOK_SECRET=x\n");
  await writeFile(path.join(cwd, "my-app.2026-11-26.private-key.pem"), "-----BEGIN RSA PRIVATE KEY-----\nsecret-key-body\n");
  await writeFile(path.join(cwd, "old.pem"), "-----BEGIN RSA PRIVATE KEY-----\nold-key-body\n");
  const dataDir = path.join(cwd, ".planwright");
  const worktree = path.join(dataDir, "workspaces", "worktrees", "run-1");
  await mkdir(worktree, { recursive: true });
  return { cwd, dataDir, worktree };
}

describe("appSecretPaths", () => {
  it("names the data directory, .env, PRIVATE_KEY_PATH and every .pem in the working directory", async () => {
    const { cwd, dataDir } = await appDir();
    const paths = await appSecretPaths({ cwd, dataDir, env: { PRIVATE_KEY_PATH: "keys/app.pem" } });
    expect(paths.sort()).toEqual(
      [dataDir, path.join(cwd, ".env"), path.join(cwd, "keys/app.pem"), path.join(cwd, "my-app.2026-11-26.private-key.pem"), path.join(cwd, "old.pem")].sort(),
    );
  });

  it("copes with a working directory it cannot list", async () => {
    expect(await appSecretPaths({ cwd: "/nonexistent-pw", dataDir: "/data", env: {} })).toEqual(["/data", "/nonexistent-pw/.env"]);
  });

  it.skipIf(!bwrapUsable)(`keeps the key Probot would pick up out of the agent's reach${bwrapSkipReason}`, async () => {
    const { cwd, dataDir, worktree } = await appDir();
    const sandbox = new BwrapSandbox({ hiddenPaths: await appSecretPaths({ cwd, dataDir, env: {} }) });
    const result = await sandbox.run({ command: `cat ${cwd}/*.pem; cat ${cwd}/.env`, cwd: worktree, timeoutMs: 15_000 });
    expect(result.output).not.toContain("key-body");
    expect(result.output).not.toContain("WEBHOOK_SECRET");
    // Without them, the same command reads the key: the check above is not vacuous.
    const open = await new BwrapSandbox({ hiddenPaths: [dataDir] }).run({ command: `cat ${cwd}/*.pem`, cwd: worktree, timeoutMs: 15_000 });
    expect(open.output).toContain("secret-key-body");
  });
});
