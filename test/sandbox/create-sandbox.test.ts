import { existsSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigurationError } from "../../src/errors.js";
import { createSandbox } from "../../src/sandbox/create-sandbox.js";
import { HOST_SOCKET_PATHS } from "../../src/sandbox/host-socket-paths.js";
import { NETWORK_NOT_ENFORCED } from "../../src/sandbox/plain-sandbox.js";
import { TempDirs, bwrapSkipReason, bwrapUsable } from "./sandbox-helpers.js";

function recordingLog() {
  const warnings: string[] = [];
  return { warnings, log: { warn: (msg: string) => void warnings.push(msg) } };
}

describe("createSandbox", () => {
  const temp = new TempDirs();
  let worktree: string;
  let bogusBwrap: string;
  let failingBwrap: string;

  beforeAll(async () => {
    worktree = await temp.make("planwright-worktree-");
    const bin = await temp.make("planwright-fake-bin-");
    bogusBwrap = join(bin, "no-such-bwrap");
    // What bubblewrap prints in a container that forbids user namespaces.
    failingBwrap = join(bin, "bwrap");
    await writeFile(failingBwrap, "#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n");
    await chmod(failingBwrap, 0o755);
  });
  afterAll(() => temp.cleanup());

  it('"none" gives plain processes without probing or warning', async () => {
    const { warnings, log } = recordingLog();
    const sandbox = await createSandbox("none", { hiddenPaths: [], log, bwrapPath: bogusBwrap });
    expect(sandbox.kind).toBe("none");
    expect(warnings).toEqual([]);
    const result = await sandbox.run({ command: "echo ok", cwd: worktree, timeoutMs: 5_000 });
    expect(result.stdout).toBe("ok\n");
  });

  it('"auto" falls back to plain processes with one warning saying how to fix it', async () => {
    const { warnings, log } = recordingLog();
    const sandbox = await createSandbox("auto", { hiddenPaths: [], log, bwrapPath: bogusBwrap });
    expect(sandbox.kind).toBe("none");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${bogusBwrap} was not found`);
    expect(warnings[0]).toContain("NOT isolated");
    expect(warnings[0]).toContain("install bubblewrap");
    expect(warnings[0]).toContain("user namespaces");
    const result = await sandbox.run({ command: "echo still-works", cwd: worktree, timeoutMs: 5_000 });
    expect(result.stdout).toBe("still-works\n");
    expect(warnings).toHaveLength(1);
  });

  it('"auto" falls back when bubblewrap exists but cannot create a sandbox, quoting its error', async () => {
    const { warnings, log } = recordingLog();
    const sandbox = await createSandbox("auto", { hiddenPaths: [], log, bwrapPath: failingBwrap });
    expect(sandbox.kind).toBe("none");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("No permissions to create new namespace");
  });

  it('"bwrap" refuses to start without a working bubblewrap, saying what to do', async () => {
    const attempt = createSandbox("bwrap", { hiddenPaths: [], bwrapPath: failingBwrap });
    await expect(attempt).rejects.toBeInstanceOf(ConfigurationError);
    await expect(attempt).rejects.toThrow(/PLANWRIGHT_SANDBOX=bwrap.*No permissions to create new namespace/);
    const error = await attempt.catch((e: unknown) => e);
    expect((error as ConfigurationError).problems.join("\n")).toMatch(/install bubblewrap[\s\S]*user namespaces[\s\S]*seccomp/);
    await expect(createSandbox("bwrap", { hiddenPaths: [], bwrapPath: bogusBwrap })).rejects.toThrow(
      `${bogusBwrap} was not found`,
    );
  });

  it("plain processes say that network: false is not enforced, logging it once", async () => {
    const { warnings, log } = recordingLog();
    const sandbox = await createSandbox("none", { hiddenPaths: [], log });
    const first = await sandbox.run({ command: "true", cwd: worktree, timeoutMs: 5_000, network: false });
    const second = await sandbox.run({ command: "true", cwd: worktree, timeoutMs: 5_000, network: false });
    const allowed = await sandbox.run({ command: "true", cwd: worktree, timeoutMs: 5_000 });
    expect(first.warnings).toEqual([NETWORK_NOT_ENFORCED]);
    expect(second.warnings).toEqual([NETWORK_NOT_ENFORCED]);
    expect(allowed.warnings).toBeUndefined();
    expect(warnings).toEqual([`sandbox: ${NETWORK_NOT_ENFORCED}`]);
  });

  describe.skipIf(!bwrapUsable)(`with a working bubblewrap${bwrapSkipReason}`, () => {
    it('"auto" and "bwrap" both give bubblewrap, silently', async () => {
      const { warnings, log } = recordingLog();
      expect((await createSandbox("auto", { hiddenPaths: [], log })).kind).toBe("bwrap");
      expect((await createSandbox("bwrap", { hiddenPaths: [], log })).kind).toBe("bwrap");
      expect(warnings).toEqual([]);
    });

    it("hides the given paths and the operator's credential files", async () => {
      const base = await temp.make("planwright-create-test-", "/var/tmp");
      const hostHome = join(base, "home");
      await mkdir(join(hostHome, ".ssh"), { recursive: true });
      await writeFile(join(hostHome, ".ssh", "id_ed25519"), "ssh private key material");
      await mkdir(join(hostHome, ".config", "gh"), { recursive: true });
      await writeFile(join(hostHome, ".config", "gh", "hosts.yml"), "oauth_token: gho_secret");
      await writeFile(join(hostHome, "notes.txt"), "not a credential");
      const envFile = join(base, ".env");
      await writeFile(envFile, "ANTHROPIC_API_KEY=sk-ant-hidden");

      const sandbox = await createSandbox("bwrap", { hiddenPaths: [envFile], hostHome });
      const result = await sandbox.run({
        command: `cat ${envFile} ${hostHome}/.ssh/id_ed25519 ${hostHome}/.config/gh/hosts.yml ${hostHome}/notes.txt`,
        cwd: worktree,
        timeoutMs: 10_000,
      });
      expect(result.output).not.toContain("sk-ant-hidden");
      expect(result.output).not.toContain("ssh private key material");
      expect(result.output).not.toContain("gho_secret");
      expect(result.stdout).toContain("not a credential");
    });

    /** A command that says whether it could connect to the unix socket at `socket`. */
    const connectTo = (socket: string) =>
      `node -e 'require("net").connect(${JSON.stringify(socket)}).on("connect",()=>{console.log("CONNECTED");process.exit(0)}).on("error",e=>{console.log("REFUSED",e.code);process.exit(0)})'`;

    it("makes a hidden unix socket unreachable, though read-only mounts do not stop connect()", async () => {
      const base = await temp.make("planwright-socket-test-", "/var/tmp");
      const socket = join(base, "daemon.sock");
      const server = createServer((connection) => connection.end());
      await new Promise<void>((resolve) => server.listen(socket, resolve));
      try {
        const open = await createSandbox("bwrap", { hiddenPaths: [] });
        expect((await open.run({ command: connectTo(socket), cwd: worktree, timeoutMs: 10_000 })).stdout).toContain("CONNECTED");
        const hiding = await createSandbox("bwrap", { hiddenPaths: [socket] });
        expect((await hiding.run({ command: connectTo(socket), cwd: worktree, timeoutMs: 10_000 })).stdout).toContain("REFUSED");
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it.skipIf(!existsSync("/run/docker.sock"))("keeps the Docker daemon's socket out of reach (runs where a Docker engine is up)", async () => {
      expect(HOST_SOCKET_PATHS).toContain("/run/docker.sock");
      const sandbox = await createSandbox("bwrap", { hiddenPaths: [] });
      expect((await sandbox.run({ command: connectTo("/var/run/docker.sock"), cwd: worktree, timeoutMs: 10_000 })).stdout).toContain("REFUSED");
    });
  });
});
