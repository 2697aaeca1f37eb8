import { spawn } from "node:child_process";
import { mkdtemp, rm, stat, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { withFileLock } from "../../src/workspace/file-lock.js";
import { KeyedMutex } from "../../src/workspace/keyed-mutex.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function lockPath(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pw-lock-"));
  dirs.push(dir);
  return path.join(dir, "mirror.git.planwright-lock");
}

/** A pid that certainly belongs to no running process: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await new Promise((resolve) => child.on("exit", resolve));
  return child.pid!;
}

describe("withFileLock", () => {
  it("makes another process wait until the holder releases", async () => {
    const lock = await lockPath();
    const marker = `${lock}.holder-done`;
    const fileLock = fileURLToPath(new URL("../../src/workspace/file-lock.ts", import.meta.url));
    const script = `
      const { writeFileSync } = await import("node:fs");
      const { withFileLock } = await import(${JSON.stringify(fileLock)});
      await withFileLock(${JSON.stringify(lock)}, async () => {
        process.stdout.write("locked\\n");
        await new Promise((resolve) => process.stdin.once("data", resolve));
        writeFileSync(${JSON.stringify(marker)}, "done");
      });
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["pipe", "pipe", "inherit"] });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    await new Promise<void>((resolve) => {
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("locked")) resolve();
      });
    });

    // Our task can only start once the other process has left its critical section.
    const mine = withFileLock(lock, async () => stat(marker).then(() => true, () => false), { pollMs: 5 });
    // Give our attempt time to find the lock taken (a broken lock would let it in now).
    await new Promise((resolve) => setTimeout(resolve, 100));
    child.stdin.end("go\n");
    expect(await mine).toBe(true);
    expect(await exited).toBe(0);
  });

  it("runs holders one at a time in this process too", async () => {
    const lock = await lockPath();
    let active = 0;
    let most = 0;
    const task = async () => {
      active++;
      most = Math.max(most, active);
      await new Promise((resolve) => setImmediate(resolve));
      active--;
    };
    await Promise.all([1, 2, 3, 4].map(() => withFileLock(lock, task, { pollMs: 5 })));
    expect(most).toBe(1);
    await expect(stat(lock)).rejects.toThrow();
  });

  it("takes over a lock left by a dead process on this host", async () => {
    const lock = await lockPath();
    await writeFile(lock, JSON.stringify({ id: "old", pid: await deadPid(), host: hostname() }));
    const past = new Date(Date.now() - 5_000);
    await utimes(lock, past, past);
    expect(await withFileLock(lock, async () => "ran", { staleMs: 60_000, heartbeatMs: 1_000 })).toBe("ran");
  });

  it("takes over a lock whose holder stopped refreshing it, wherever it ran", async () => {
    const lock = await lockPath();
    await writeFile(lock, JSON.stringify({ id: "old", pid: process.pid, host: "another-machine" }));
    const past = new Date(Date.now() - 120_000);
    await utimes(lock, past, past);
    expect(await withFileLock(lock, async () => "ran", { staleMs: 60_000 })).toBe("ran");
  });

  it("keeps waiting for a live holder and gives up when aborted", async () => {
    const lock = await lockPath();
    // Alive (this very process) and fresh: not stale.
    await writeFile(lock, JSON.stringify({ id: "live", pid: process.pid, host: hostname() }));
    const controller = new AbortController();
    let ran = false;
    const waiting = withFileLock(lock, async () => {
      ran = true;
    }, { signal: controller.signal, pollMs: 5 }).catch((error: unknown) => error);
    // Let it look at the lock a few times before giving up.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const reason = new Error("stopped");
    controller.abort(reason);
    expect(await waiting).toBe(reason);
    expect(ran).toBe(false);
    // The live holder's file is left alone.
    expect((await stat(lock)).isFile()).toBe(true);
  });
});

describe("KeyedMutex", () => {
  it("serialises per key in arrival order and lets other keys run", async () => {
    const mutex = new KeyedMutex();
    const order: string[] = [];
    let releaseFirst = () => {};
    const first = mutex.run("a", async () => {
      order.push("a1 start");
      await new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      order.push("a1 end");
    });
    const second = mutex.run("a", async () => {
      order.push("a2");
    });
    await mutex.run("b", async () => {
      order.push("b");
    });
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(["a1 start", "b", "a1 end", "a2"]);
  });

  it("lets a waiter give up without letting the next one overtake the holder", async () => {
    const mutex = new KeyedMutex();
    const order: string[] = [];
    let releaseFirst = () => {};
    const first = mutex.run("k", async () => {
      await new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      order.push("first");
    });
    const controller = new AbortController();
    const quitter = mutex.run("k", async () => order.push("quitter"), controller.signal).catch((e: unknown) => e);
    const third = mutex.run("k", async () => {
      order.push("third");
    });
    controller.abort(new Error("gave up"));
    expect(await quitter).toEqual(new Error("gave up"));
    releaseFirst();
    await Promise.all([first, third]);
    expect(order).toEqual(["first", "third"]);
  });
});
