import { readdir, readFile, realpath, rm, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * A linked worktree's own git directory, `<mirror>/worktrees/<id>`, and what
 * planwright does with it. The agent's commands may write there (its index
 * and HEAD, so `git status` works in the sandbox), and the worktree's `.git`
 * file is theirs to rewrite too, so planwright's own git commands never take
 * either on trust.
 */
export interface WorktreeGitDir {
  /** The worktree. */
  path: string;
  /** `<mirror>/worktrees/<id>`. */
  gitDir: string;
  /** The bare mirror: objects, refs and config. */
  mirror: string;
}

/**
 * Reads the worktree's `.git` file right after git wrote it (a new or a
 * parked worktree nothing else has touched), and checks that it names a
 * git directory of this mirror.
 */
export async function readWorktreeGitDir(worktree: string, mirror: string): Promise<string> {
  const pointer = await readFile(path.join(worktree, ".git"), "utf8").catch(() => "");
  const gitDir = /^gitdir: (.+)$/m.exec(pointer)?.[1]?.trim();
  const expectedParent = await realpath(path.join(mirror, "worktrees")).catch(() => undefined);
  const parent = gitDir ? await realpath(path.dirname(gitDir)).catch(() => undefined) : undefined;
  if (!gitDir || !path.isAbsolute(gitDir) || parent === undefined || parent !== expectedParent) {
    throw new Error(`${worktree} is not a worktree of ${mirror} (its .git file says "${pointer.trim().slice(0, 200)}")`);
  }
  return gitDir;
}

/**
 * Environment that makes git use exactly this worktree's git directory and
 * the mirror, ignoring the worktree's `.git` file and the git directory's
 * `commondir` file: both were writable by the run's commands, and a
 * redirected repository could carry configuration (a URL rewrite) that sends
 * the push, token included, elsewhere.
 */
export function pinnedGitEnv(worktree: WorktreeGitDir): Record<string, string> {
  return { GIT_DIR: worktree.gitDir, GIT_WORK_TREE: worktree.path, GIT_COMMON_DIR: worktree.mirror };
}

/** What a git directory keeps when its worktree is parked; the rest was the previous run's. */
const KEPT = new Set(["HEAD", "commondir", "gitdir"]);

/**
 * Rewrites the files that tie a worktree to its git directory with what
 * planwright knows to be true, detaches HEAD at `head`, and deletes
 * everything else in the git directory: the index (which the run's commands
 * could have forged), reflogs, a lock, a half-done merge, rebase or bisect, a
 * sparse-checkout pattern file, planwright's commit message. The formats are
 * the ones gitrepository-layout(5) documents.
 */
export async function resetWorktreeGitFiles(worktree: WorktreeGitDir, head: string): Promise<void> {
  const dotGit = path.join(worktree.path, ".git");
  // Whatever stands there (a directory, a symlink) goes; git clean never touches `.git`.
  await rm(dotGit, { recursive: true, force: true });
  await writeFile(dotGit, `gitdir: ${worktree.gitDir}\n`);
  for (const entry of await readdir(worktree.gitDir)) {
    if (!KEPT.has(entry)) await rm(path.join(worktree.gitDir, entry), { recursive: true, force: true });
  }
  await writeFile(path.join(worktree.gitDir, "gitdir"), `${await realpath(dotGit)}\n`);
  await writeFile(path.join(worktree.gitDir, "commondir"), "../..\n");
  await writeFile(path.join(worktree.gitDir, "HEAD"), `${head}\n`);
}
