import { readdir, readFile } from "node:fs/promises";

/** One process as /proc/<pid>/stat describes it. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** Clock ticks since boot; with the pid, identifies a process even if its pid is reused later. */
  startTime: string;
  /** "Z" for a zombie: already dead, merely not reaped yet. */
  state: string;
}

/**
 * A snapshot of every process on a Linux host, or undefined where /proc is
 * not available (the caller then falls back to process-group signals alone).
 */
export async function readProcessTable(): Promise<ProcessInfo[] | undefined> {
  let names: string[];
  try {
    names = await readdir("/proc");
  } catch {
    return undefined;
  }
  const entries = await Promise.all(
    names.filter((name) => /^\d+$/.test(name)).map((name) => readStat(`/proc/${name}/stat`)),
  );
  return entries.filter((entry): entry is ProcessInfo => entry !== undefined);
}

async function readStat(file: string): Promise<ProcessInfo | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return undefined; // exited while we were reading the table
  }
  return parseStat(text);
}

/** Parses a /proc/<pid>/stat line; the command name may itself contain spaces and parentheses. */
export function parseStat(text: string): ProcessInfo | undefined {
  const open = text.indexOf(" (");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open));
  // Fields after the name, starting with field 3 (state); starttime is field 22.
  const fields = text.slice(close + 2).split(" ");
  const [state, ppid, pgid] = fields;
  const startTime = fields[19];
  if (state === undefined || ppid === undefined || pgid === undefined || startTime === undefined) return undefined;
  return { pid, ppid: Number(ppid), pgid: Number(pgid), startTime, state };
}
