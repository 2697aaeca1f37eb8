import { describe, expect, it } from "vitest";
import { bashCommand, runProcess } from "../../src/sandbox/process-runner.js";
import { newMarker, processesMarked, waitUntil } from "./sandbox-helpers.js";

const env = { PATH: "/usr/bin:/bin" };

describe("runProcess", () => {
  it("runs a given argv without a shell", async () => {
    const result = await runProcess({ argv: ["/bin/echo", "$HOME", "two words"], cwd: "/", env, timeoutMs: 5_000 });
    expect(result).toMatchObject({ exitCode: 0, stdout: "$HOME two words\n" });
  });

  it("passes exactly the given environment", async () => {
    const result = await runProcess({ argv: bashCommand("env | sort"), cwd: "/", env: { ...env, ONLY: "me" }, timeoutMs: 5_000 });
    const names = result.stdout.trim().split("\n").map((line) => line.split("=")[0]);
    expect(names).toEqual(["ONLY", "PATH", "PWD", "SHLVL", "_"]);
  });

  it("rejects with the program and directory when the program cannot be started", async () => {
    await expect(runProcess({ argv: ["/nonexistent/tool", "x"], cwd: "/", env, timeoutMs: 5_000 })).rejects.toThrow(
      /could not start \/nonexistent\/tool in \/: .*ENOENT/,
    );
  });

  it("follows a child that left the group with setsid while its parent still runs, and kills it at the timeout", async () => {
    const marker = newMarker();
    const pending = runProcess({
      argv: bashCommand(`setsid bash -c 'exec -a ${marker} sleep 60' & wait`),
      cwd: "/",
      env,
      timeoutMs: 1_500,
      killGraceMs: 300,
    });
    expect(await waitUntil(async () => (await processesMarked(marker)).length === 1, 1_200)).toBe(true);
    const result = await pending;
    expect(result.timedOut).toBe(true);
    expect(await processesMarked(marker)).toEqual([]);
  });

  it("escalates to SIGKILL for a leader that ignores SIGTERM", async () => {
    const started = Date.now();
    const result = await runProcess({
      argv: bashCommand("trap '' TERM; sleep 30 & wait; wait"),
      cwd: "/",
      env,
      timeoutMs: 300,
      killGraceMs: 300,
    });
    expect(result).toMatchObject({ timedOut: true, exitCode: null, signal: "SIGKILL" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
