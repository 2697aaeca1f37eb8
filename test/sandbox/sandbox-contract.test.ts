import { existsSync } from "node:fs";
import { realpath, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { BwrapSandbox } from "../../src/sandbox/bwrap-sandbox.js";
import { PlainSandbox } from "../../src/sandbox/plain-sandbox.js";
import type { CommandResult, Sandbox } from "../../src/sandbox/sandbox.js";
import { TempDirs, bwrapSkipReason, bwrapUsable, newMarker, processesMarked, waitUntil } from "./sandbox-helpers.js";

/** Behaviour both sandboxes must share. Where they differ on purpose, the row says how. */
interface Implementation {
  name: string;
  usable: boolean;
  make(options: { killGraceMs?: number }): Sandbox;
  /**
   * How a command that kills itself with a signal is reported: plain processes
   * report the signal; bubblewrap's init reports it as exit code 128 + n.
   */
  selfSignal: (result: CommandResult) => void;
}

const implementations: Implementation[] = [
  {
    name: "PlainSandbox",
    usable: true,
    make: (options) => new PlainSandbox(options),
    selfSignal: (result) => expect(result).toMatchObject({ exitCode: null, signal: "SIGTERM" }),
  },
  {
    name: `BwrapSandbox${bwrapSkipReason}`,
    usable: bwrapUsable,
    make: (options) => new BwrapSandbox({ hiddenPaths: [], ...options }),
    selfSignal: (result) => expect(result).toMatchObject({ exitCode: 128 + 15, signal: null }),
  },
];

const SECRETS = {
  ANTHROPIC_API_KEY: "sk-ant-test-secret-value",
  WEBHOOK_SECRET: "webhook-secret-value",
  PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----fake",
  PRIVATE_KEY_PATH: "/secret/app.pem",
  GITHUB_TOKEN: "ghs_testtokenvalue",
  GH_TOKEN: "ghp_testtokenvalue",
  REDIS_URL: "redis://:hunter2@localhost:6379",
  NODE_OPTIONS: "--require /tmp/evil.js",
  npm_config__authToken: "npm-token-value",
};

describe.each(implementations)("$name", (implementation) => {
  const temp = new TempDirs();
  let sandbox: Sandbox;
  let worktree: string;

  beforeAll(async () => {
    // A short grace keeps the SIGTERM-ignoring cases fast; the escalation path is the same.
    sandbox = implementation.make({ killGraceMs: 500 });
    worktree = await temp.make("planwright-worktree-");
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  afterAll(() => temp.cleanup());

  const run = (command: string, extra: Partial<Parameters<Sandbox["run"]>[0]> = {}) =>
    sandbox.run({ command, cwd: worktree, timeoutMs: 10_000, ...extra });

  describe.skipIf(!implementation.usable)("runs commands", () => {
    it("hides planwright's secrets from the command's environment and sets CI", async () => {
      for (const [name, value] of Object.entries(SECRETS)) vi.stubEnv(name, value);
      const result = await run("env");
      expect(result.exitCode).toBe(0);
      const names = result.stdout.split("\n").map((line) => line.split("=")[0]);
      for (const [name, value] of Object.entries(SECRETS)) {
        expect(names).not.toContain(name);
        expect(result.stdout).not.toContain(value);
      }
      expect(result.stdout).toMatch(/^CI=true$/m);
      expect(result.stdout).toMatch(/^GIT_TERMINAL_PROMPT=0$/m);
      expect(result.stdout).toMatch(/^PATH=\//m);
      expect(result.stdout).not.toMatch(new RegExp(`^HOME=${process.env.HOME ?? "/root"}$`, "m"));
    });

    it("adds the request's variables but refuses secret-looking ones", async () => {
      const result = await run('printf %s "$GREETING"', { env: { GREETING: "hello" } });
      expect(result.stdout).toBe("hello");
      await expect(run("true", { env: { MY_API_TOKEN: "x" } })).rejects.toThrow(/MY_API_TOKEN.*looks like a secret/);
    });

    it("runs in the worktree with a private HOME that is removed afterwards", async () => {
      const result = await run('pwd; echo "$HOME"; touch "$HOME/made-here" && echo home-writable');
      const [cwd, home, writable] = result.stdout.trim().split("\n");
      expect(cwd).toBe(await realpath(worktree));
      expect(home).not.toBe(process.env.HOME);
      expect(writable).toBe("home-writable");
      expect(existsSync(home ?? "/nonexistent-home")).toBe(false);
    });

    it("keeps HOME between commands when the request names one", async () => {
      const home = await temp.make("planwright-home-");
      await run('echo cached > "$HOME/cache"', { homeDir: home });
      const result = await run('cat "$HOME/cache"', { homeDir: home });
      expect(result.stdout).toBe("cached\n");
    });

    it("reports exit codes", async () => {
      const result = await run("echo out; exit 7");
      expect(result).toMatchObject({ exitCode: 7, signal: null, stdout: "out\n", timedOut: false, cancelled: false });
    });

    it("reports a command killed by a signal", async () => {
      implementation.selfSignal(await run("kill -TERM $$"));
    });

    it("closes stdin, so a command reading input ends at once", async () => {
      const started = Date.now();
      const result = await run('cat; read -r line; echo "read:$?"', { timeoutMs: 20_000 });
      expect(result).toMatchObject({ exitCode: 0, stdout: "read:1\n", timedOut: false });
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it("interleaves stdout and stderr in arrival order", async () => {
      // Two pipes carry no common order: output written microseconds apart may
      // be read in either order. The pauses make the arrival order the write order.
      const result = await run("echo a; sleep 0.2; echo b >&2; sleep 0.2; echo c");
      expect(result).toMatchObject({ stdout: "a\nc\n", stderr: "b\n", output: "a\nb\nc\n" });
      const unpaused = await run("echo a; echo b >&2; echo c");
      expect(unpaused).toMatchObject({ stdout: "a\nc\n", stderr: "b\n" });
      expect(unpaused.output.split("\n").sort()).toEqual(["", "a", "b", "c"]);
    });

    it("caps collected output at 10 MiB per stream by default and keeps draining", async () => {
      const result = await run("head -c 20000000 /dev/zero | tr '\\0' x; echo done >&2");
      expect(result.exitCode).toBe(0);
      expect(result.truncated).toBe(true);
      expect(result.stdout.length).toBe(10 * 1024 * 1024);
      expect(result.stdout).toMatch(/^x+$/);
      expect(result.stderr).toBe("done\n");
      expect(result.output.length).toBe(10 * 1024 * 1024 + "done\n".length);
    });

    it("honours a smaller output cap on both streams", async () => {
      const result = await run("seq 1 100000; seq 1 100000 >&2", { maxOutputBytes: 1000 });
      expect(result).toMatchObject({ exitCode: 0, truncated: true });
      expect(Buffer.byteLength(result.stdout)).toBe(1000);
      expect(Buffer.byteLength(result.stderr)).toBe(1000);
      expect(result.stdout.startsWith("1\n2\n3\n")).toBe(true);
    });

    it("is not truncated when output fits", async () => {
      const result = await run("seq 1 10");
      expect(result.truncated).toBe(false);
      expect(result.stdout).toBe(`${Array.from({ length: 10 }, (_, i) => i + 1).join("\n")}\n`);
    });

    it("times out a long command quickly", async () => {
      const started = Date.now();
      const result = await run("sleep 30", { timeoutMs: 500 });
      expect(result).toMatchObject({ timedOut: true, cancelled: false, exitCode: null });
      expect(result.signal).not.toBeNull();
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it("ends background jobs the command leaves behind when it exits", async () => {
      const marker = newMarker();
      const result = await run(`(exec -a ${marker} sleep 60) & echo started`);
      expect(result).toMatchObject({ exitCode: 0, stdout: "started\n", timedOut: false });
      expect(await processesMarked(marker)).toEqual([]);
    });

    const groups: Array<{ what: string; command: (marker: string) => string; count: number }> = [
      {
        what: "a backgrounded subshell's child and the foreground command",
        command: (m) => `(exec -a ${m} sleep 60 &) ; exec -a ${m} sleep 60`,
        count: 2,
      },
      {
        what: "children a nested bash waits for",
        command: (m) => `bash -c 'for i in 1 2 3; do (exec -a ${m} sleep 60) & done; wait'`,
        count: 3,
      },
      {
        what: "a burst of 50 sleepers",
        command: (m) => `for i in $(seq 50); do (exec -a ${m} sleep 60) & done; wait`,
        count: 50,
      },
      {
        what: "children that ignore SIGTERM (needs the SIGKILL escalation)",
        command: (m) => `trap '' TERM; for i in 1 2; do (trap '' TERM; exec -a ${m} sleep 60) & done; wait; wait`,
        count: 2,
      },
    ];

    it.each(groups)("kills the whole process group at the timeout: $what", async ({ command, count }) => {
      const marker = newMarker();
      const pending = run(command(marker), { timeoutMs: 2_000 });
      // Proves the scan sees the processes, so the empty scan afterwards means something.
      const appeared = await waitUntil(async () => (await processesMarked(marker)).length === count, 1_800);
      const result = await pending;
      expect(appeared).toBe(true);
      expect(result.timedOut).toBe(true);
      expect(result.durationMs).toBeLessThan(10_000);
      expect(await processesMarked(marker)).toEqual([]);
    });

    it("stops at once when cancelled mid-run, group and all", async () => {
      const marker = newMarker();
      const controller = new AbortController();
      const pending = run(`(exec -a ${marker} sleep 60) & exec -a ${marker} sleep 60`, {
        timeoutMs: 30_000,
        signal: controller.signal,
      });
      expect(await waitUntil(async () => (await processesMarked(marker)).length === 2, 5_000)).toBe(true);
      const abortedAt = Date.now();
      controller.abort();
      const result = await pending;
      expect(result).toMatchObject({ cancelled: true, timedOut: false, exitCode: null });
      expect(Date.now() - abortedAt).toBeLessThan(3_000);
      expect(await processesMarked(marker)).toEqual([]);
    });

    it("does not start a command whose signal is already aborted", async () => {
      const controller = new AbortController();
      controller.abort();
      const result = await run("touch started", { signal: controller.signal });
      expect(result).toMatchObject({ cancelled: true, exitCode: null });
      expect(existsSync(join(worktree, "started"))).toBe(false);
    });

    it("rejects, with the path, when the working directory does not exist", async () => {
      const missing = join(worktree, "no-such-dir");
      await expect(run("true", { cwd: missing })).rejects.toThrow(`working directory ${missing} does not exist`);
    });

    it("rejects a non-positive timeout", async () => {
      await expect(run("true", { timeoutMs: 0 })).rejects.toThrow(/timeoutMs must be a positive/);
    });

    it("writes into the worktree", async () => {
      const result = await run("echo written > note.txt");
      expect(result.exitCode).toBe(0);
      await writeFile(join(worktree, "host.txt"), "from host\n");
      const read = await run("cat note.txt host.txt");
      expect(read.stdout).toBe("written\nfrom host\n");
    });
  });
});
