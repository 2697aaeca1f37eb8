import { chmod, lstat, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** A command's private HOME and TMPDIR on the host, removed after the command. */
export interface ScratchDir {
  home: string;
  tmp: string;
  remove(): Promise<void>;
}

export async function createScratchDir(): Promise<ScratchDir> {
  const root = await mkdtemp(path.join(os.tmpdir(), "planwright-sandbox-"));
  const home = path.join(root, "home");
  const tmp = path.join(root, "tmp");
  await mkdir(home, { mode: 0o700 });
  await mkdir(tmp, { mode: 0o700 });
  return { home, tmp, remove: () => removeTree(root) };
}

/**
 * Removes a directory a command wrote into. Some tools leave read-only
 * directories behind (Go's module cache does on purpose), which a plain
 * recursive delete cannot empty unless running as root; those are made
 * writable and the delete retried.
 */
export async function removeTree(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true });
  } catch {
    await makeWritable(dir);
    await rm(dir, { recursive: true, force: true });
  }
}

async function makeWritable(dir: string): Promise<void> {
  const stat = await lstat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) return;
  await chmod(dir, 0o700).catch(() => {});
  const entries = await readdir(dir).catch(() => []);
  await Promise.all(entries.map((entry) => makeWritable(path.join(dir, entry))));
}
