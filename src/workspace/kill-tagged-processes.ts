import { readdir, readFile } from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";

/**
 * Kills every process whose environment carries `name=value`, and waits
 * (briefly) until they are gone. Killing git alone is not enough: a fetch over
 * HTTPS runs `git remote-https` as a child that git does not take down with
 * it, and that helper would sit on the open connection. Children inherit the
 * tag, so it finds the whole tree. Linux only (/proc); elsewhere a no-op.
 */
export async function killTaggedProcesses(name: string, value: string, graceMs = 1000): Promise<void> {
  const tag = `${name}=${value}`;
  let signal: NodeJS.Signals = "SIGTERM";
  const start = Date.now();
  for (;;) {
    const pids = await taggedPids(tag);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
    if (Date.now() - start > graceMs) {
      if (signal === "SIGKILL") return;
      signal = "SIGKILL";
    }
    await delay(25);
  }
}

async function taggedPids(tag: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir("/proc");
  } catch {
    return [];
  }
  const found = await Promise.all(
    names
      .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
      .map(async (entry) => {
        try {
          const [environ, stat] = await Promise.all([readFile(`/proc/${entry}/environ`), readFile(`/proc/${entry}/stat`, "utf8")]);
          // A zombie is dead already; only its parent's wait() removes it.
          if (/\) Z /.test(stat)) return undefined;
          return environ.toString("utf8").split("\0").includes(tag) ? Number(entry) : undefined;
        } catch {
          return undefined; // exited meanwhile, or another user's
        }
      }),
  );
  return found.filter((pid): pid is number => pid !== undefined);
}
