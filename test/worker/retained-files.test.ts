import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { pruneTranscripts } from "../../src/pipeline/prune-transcripts.js";
import { retainedFiles } from "../../src/worker/retained-files.js";

const DAY = 24 * 60 * 60 * 1000;
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pw-retained-"));
  dirs.push(dir);
  return dir;
}

async function writeAged(file: string, ageDays: number): Promise<void> {
  await writeFile(file, "{}\n");
  const at = new Date(Date.now() - ageDays * DAY);
  await utimes(file, at, at);
}

describe("pruneTranscripts", () => {
  it("deletes transcripts last written before the cutoff, and nothing else", async () => {
    const dir = path.join(await dataDir(), "transcripts");
    await mkdir(dir);
    await writeAged(path.join(dir, "old-run.jsonl"), 31);
    await writeAged(path.join(dir, "recent-run.jsonl"), 29);
    await writeAged(path.join(dir, "notes.txt"), 365); // not a transcript
    await mkdir(path.join(dir, "ancient.jsonl")); // a directory by that name

    expect(await pruneTranscripts(dir, Date.now() - 30 * DAY)).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(["ancient.jsonl", "notes.txt", "recent-run.jsonl"]);
  });

  it("treats a missing directory as nothing to delete", async () => {
    expect(await pruneTranscripts(path.join(await dataDir(), "never-written"), Date.now())).toBe(0);
  });
});

describe("retainedFiles", () => {
  it("prunes the data directory's transcripts and mirrors", async () => {
    const data = await dataDir();
    await mkdir(path.join(data, "transcripts"));
    await writeAged(path.join(data, "transcripts", "job-1.jsonl"), 40);
    const prune = retainedFiles(data);

    expect(Object.keys(prune).sort()).toEqual(["mirrors", "transcripts"]);
    expect(await prune.transcripts!(Date.now() - 30 * DAY)).toBe(1);
    expect(await prune.mirrors!(Date.now() - 30 * DAY)).toBe(0); // no mirror yet; the workspace tests cover real ones
  });
});
