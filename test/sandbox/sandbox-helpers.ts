import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { probeBwrap } from "../../src/sandbox/probe-bwrap.js";

/** Probed once per test file, exactly as createSandbox does. */
export const bwrapProbe = await probeBwrap("bwrap");
export const bwrapUsable = bwrapProbe.usable;
export const bwrapSkipReason = bwrapProbe.usable ? "" : ` (SKIPPED: bubblewrap unusable here: ${bwrapProbe.reason})`;

/**
 * A unique argv[0] for processes a test starts (`exec -a MARKER sleep 60`),
 * so the test can find them in /proc whichever pid namespace they live in.
 */
export function newMarker(): string {
  return `pw-sandbox-test-${randomBytes(6).toString("hex")}`;
}

/** Host pids of live processes whose argv[0] is `marker` (zombies have no cmdline, so they do not count). */
export async function processesMarked(marker: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = await readFile(`/proc/${name}/cmdline`, "utf8");
      if (cmdline.split("\0")[0] === marker) pids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Polls `check` until it returns true or the deadline passes; returns the last answer. */
export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await delay(20);
  }
}

/** Temporary directories removed in `cleanup()`; `base` picks the parent (default os.tmpdir()). */
export class TempDirs {
  private readonly dirs: string[] = [];

  async make(prefix = "planwright-sandbox-test-", base = tmpdir()): Promise<string> {
    const dir = await mkdtemp(join(base, prefix));
    this.dirs.push(dir);
    return dir;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}
