import { readdir, stat, unlink } from "node:fs/promises";
import path from "node:path";

/** Where runs write their transcripts: `<data dir>/transcripts/<job or run id>.jsonl`. */
export function transcriptsDir(dataDir: string): string {
  return path.join(dataDir, "transcripts");
}

/**
 * Deletes run transcripts (`<dir>/<job id>.jsonl`) last written before
 * `cutoff` (ms since the epoch), so a worker's data directory does not grow by
 * a few MB per run forever. Returns how many it deleted; a missing directory
 * (a worker that never ran a job) is simply nothing to do.
 */
export async function pruneTranscripts(dir: string, cutoff: number): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  let deleted = 0;
  for (const name of names) {
    if (!name.endsWith(".jsonl")) continue;
    const file = path.join(dir, name);
    try {
      const info = await stat(file);
      if (!info.isFile() || info.mtimeMs >= cutoff) continue;
      await unlink(file);
      deleted++;
    } catch (error) {
      // Another process pruning at the same moment got there first.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return deleted;
}
