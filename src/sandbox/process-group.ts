import { setTimeout as delay } from "node:timers/promises";
import { readProcessTable, type ProcessInfo } from "./process-table.js";

const POLL_MS = 25;

/**
 * The processes a command started: its process group (the leader was spawned
 * detached, so the group is the command's own) plus, on Linux, every
 * descendant that left the group with setsid(). bubblewrap's sandbox init is
 * one such descendant: killing it is what tears the sandbox's pid namespace down.
 */
export class ProcessGroup {
  /** pid -> start time of every process seen as a member, so one that leaves the group is still followed. */
  private readonly seen = new Map<number, string>();
  private termination: Promise<boolean> | undefined;

  constructor(private readonly leaderPid: number) {}

  /**
   * Signals every member now, then SIGKILLs whatever is left after `graceMs`
   * and keeps doing so until none is left or `giveUpMs` more have passed (a
   * process stuck in uninterruptible sleep cannot be killed). Resolves to
   * whether the group is gone. Calling it again joins the termination already
   * under way.
   */
  terminate(graceMs: number, giveUpMs = graceMs): Promise<boolean> {
    this.termination ??= this.runTermination(graceMs, giveUpMs);
    return this.termination;
  }

  /** Kills what the command left behind (background jobs) once its leader has exited. */
  async reapLeftovers(graceMs: number): Promise<boolean> {
    if (this.termination === undefined && (await this.countAlive()) === 0) return true;
    return this.terminate(graceMs);
  }

  private async runTermination(graceMs: number, giveUpMs: number): Promise<boolean> {
    const start = Date.now();
    // SIGTERM once, so tools get to clean up (remove lock files, flush output)...
    if ((await this.signalMembers("SIGTERM")) === 0) return true;
    while (Date.now() - start < graceMs) {
      await delay(POLL_MS);
      if ((await this.countAlive()) === 0) return true;
    }
    // ...then SIGKILL on every round, which also catches children forked in the meantime.
    for (;;) {
      if ((await this.signalMembers("SIGKILL")) === 0) return true;
      if (Date.now() - start >= graceMs + giveUpMs) return false;
      await delay(POLL_MS);
    }
  }

  private async countAlive(): Promise<number> {
    const members = await this.liveMembers();
    if (members === undefined) return sendSignal(-this.leaderPid, 0) ? 1 : 0;
    return members.length;
  }

  /** Sends `signal` to every live member; returns how many were alive. */
  private async signalMembers(signal: NodeJS.Signals): Promise<number> {
    const members = await this.liveMembers();
    if (members === undefined) {
      // Without /proc only the group can be reached, and kill(-pgid, 0) tells whether it is empty.
      if (!sendSignal(-this.leaderPid, 0)) return 0;
      sendSignal(-this.leaderPid, signal);
      return 1;
    }
    if (members.length === 0) return 0;
    sendSignal(-this.leaderPid, signal);
    for (const member of members) if (member.pgid !== this.leaderPid) sendSignal(member.pid, signal);
    return members.length;
  }

  /** Live (non-zombie) members, or undefined where /proc is unavailable. */
  private async liveMembers(): Promise<ProcessInfo[] | undefined> {
    const table = await readProcessTable();
    if (table === undefined) return undefined;
    const children = new Map<number, ProcessInfo[]>();
    for (const info of table) {
      const siblings = children.get(info.ppid);
      if (siblings) siblings.push(info);
      else children.set(info.ppid, [info]);
    }
    // The start time check keeps a reused pid from being mistaken for a former member.
    const queue = table.filter((info) => info.pgid === this.leaderPid || this.seen.get(info.pid) === info.startTime);
    const found = new Map<number, ProcessInfo>();
    for (let info = queue.pop(); info !== undefined; info = queue.pop()) {
      if (found.has(info.pid)) continue;
      found.set(info.pid, info);
      queue.push(...(children.get(info.pid) ?? []));
    }
    const live = [...found.values()].filter((info) => info.state !== "Z");
    for (const info of live) this.seen.set(info.pid, info.startTime);
    return live;
  }
}

/** `process.kill` without the throw; false when no such process (or group) exists. */
function sendSignal(target: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch (error) {
    // EPERM means it exists but is not ours to signal; report it as alive.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
