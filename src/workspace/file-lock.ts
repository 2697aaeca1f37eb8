import { randomUUID } from "node:crypto";
import { link, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { sleep } from "./until-aborted.js";

export interface FileLockOptions {
  signal?: AbortSignal;
  /** A lock whose file was not touched for this long is taken to be left by a dead holder. Default 30 s. */
  staleMs?: number;
  /** How often the holder touches the file to show it is alive. Default a sixth of `staleMs`. */
  heartbeatMs?: number;
  /** How often a waiter looks again. Default 50 ms. */
  pollMs?: number;
}

interface LockOwner {
  id: string;
  pid: number;
  host: string;
}

/**
 * Runs `task` while holding a lock file, so that several planwright processes
 * sharing one data directory (a web server and workers, or two workers) take
 * turns. The file is created exclusively (`wx`); the holder refreshes its
 * mtime while working, and a file that stopped being refreshed, or whose
 * holder process on this host is gone, is broken.
 */
export async function withFileLock<T>(lockPath: string, task: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const staleMs = options.staleMs ?? 30_000;
  const heartbeatMs = options.heartbeatMs ?? Math.max(10, Math.floor(staleMs / 6));
  const owner: LockOwner = { id: randomUUID(), pid: process.pid, host: hostname() };
  await acquire(lockPath, owner, staleMs, heartbeatMs, options);
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lockPath, now, now).catch(() => {});
  }, heartbeatMs);
  try {
    return await task();
  } finally {
    clearInterval(heartbeat);
    // Only our own file: if ours was broken as stale, the file is someone else's now.
    const current = await readOwner(lockPath);
    if (current?.id === owner.id) await rm(lockPath, { force: true });
  }
}

async function acquire(lockPath: string, owner: LockOwner, staleMs: number, heartbeatMs: number, options: FileLockOptions): Promise<void> {
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      await writeFile(lockPath, JSON.stringify(owner), { flag: "wx" });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const staleInode = await staleLockInode(lockPath, staleMs, heartbeatMs);
    if (staleInode !== undefined) {
      await breakLock(lockPath, staleInode, owner);
      continue;
    }
    await sleep(options.pollMs ?? 50, options.signal);
  }
}

/** The lock file's inode when its holder is gone, else undefined. */
async function staleLockInode(lockPath: string, staleMs: number, heartbeatMs: number): Promise<number | undefined> {
  const info = await stat(lockPath).catch(() => undefined);
  if (!info) return undefined; // released meanwhile: just try again
  const age = Date.now() - info.mtimeMs;
  if (age > staleMs) return info.ino;
  const holder = await readOwner(lockPath);
  // A dead pid on this host is only trusted after a missed heartbeat: two
  // containers with the same hostname have separate pid namespaces.
  const dead = holder !== undefined && holder.host === hostname() && !isAlive(holder.pid) && age > 2 * heartbeatMs;
  return dead ? info.ino : undefined;
}

/**
 * Moves the stale file aside (atomic) and deletes it. Two waiters may both
 * have judged the same file stale; the slower one then finds it moved a
 * fresh lock (another inode) and puts it back.
 */
async function breakLock(lockPath: string, staleInode: number, owner: LockOwner): Promise<void> {
  const aside = `${lockPath}.stale-${owner.id}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return; // gone already
  }
  const moved = await stat(aside).catch(() => undefined);
  if (moved && moved.ino !== staleInode) {
    await link(aside, lockPath).catch(() => {});
  }
  await rm(aside, { force: true });
}

async function readOwner(lockPath: string): Promise<LockOwner | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(lockPath, "utf8"));
    if (typeof parsed === "object" && parsed !== null && "id" in parsed && "pid" in parsed && "host" in parsed) {
      const { id, pid, host } = parsed;
      if (typeof id === "string" && typeof pid === "number" && typeof host === "string") return { id, pid, host };
    }
  } catch {
    // missing or half-written: no owner to speak of
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
