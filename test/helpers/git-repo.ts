import { execFile } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** Git identity for test commits, so tests never depend on the machine's global config. */
export const GIT_ENV = {
  GIT_AUTHOR_NAME: "Test Author",
  GIT_AUTHOR_EMAIL: "author@example.com",
  GIT_COMMITTER_NAME: "Test Author",
  GIT_COMMITTER_EMAIL: "author@example.com",
};

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec("git", args, { cwd, env: { ...process.env, ...GIT_ENV } });
  return stdout.trim();
}

/** A new repository with the given files committed on `main`. */
export async function makeRepo(files: Record<string, string>, prefix = "pw-repo-"): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await git(dir, "init", "-q", "-b", "main");
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  await git(dir, "add", "-A");
  await git(dir, "commit", "-q", "-m", "initial");
  return dir;
}
