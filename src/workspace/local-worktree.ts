import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { simpleGit } from "simple-git";
import { ConfigurationError } from "../errors.js";

export interface LocalWorktree {
  /** Where the agent works: a separate worktree, so the user's checkout is never touched. */
  path: string;
  branch: string;
  baseCommit: string;
  /** Removes the worktree directory; the branch and its commits stay in the repository. */
  remove(): Promise<void>;
}

/**
 * A new branch from HEAD of a local repository, checked out in its own
 * worktree under the data directory.
 */
export async function createLocalWorktree(repo: string, branch: string, root: string): Promise<LocalWorktree> {
  const git = simpleGit(repo);
  let top: string;
  try {
    top = (await git.revparse(["--show-toplevel"])).trim();
  } catch {
    throw new ConfigurationError(`${repo} is not a git checkout. Pass --repo with the path of a git repository (git init, then commit once).`);
  }
  const base = await simpleGit(top)
    .revparse(["--verify", "HEAD^{commit}"])
    .catch(() => {
      throw new ConfigurationError(`${top} has no commits yet. Commit once so planwright has something to branch from.`);
    });
  const existing = await simpleGit(top).raw(["branch", "--list", branch]);
  if (existing.trim()) {
    throw new ConfigurationError(`branch ${branch} already exists in ${top}. Delete it, or pass --branch with another name.`);
  }
  await mkdir(root, { recursive: true });
  const worktree = path.join(root, branch.replace(/[^A-Za-z0-9._-]+/g, "-"));
  await simpleGit(top).raw(["worktree", "add", "-b", branch, worktree, base.trim()]);
  return {
    path: worktree,
    branch,
    baseCommit: base.trim(),
    async remove() {
      await simpleGit(top).raw(["worktree", "remove", "--force", worktree]).catch(async () => {
        await rm(worktree, { recursive: true, force: true });
        await simpleGit(top).raw(["worktree", "prune"]);
      });
    },
  };
}

export interface CommitIdentity {
  name: string;
  email: string;
}

/** Commits everything the agent changed; returns the new commit, or null when nothing changed. */
export async function commitAll(
  worktree: string,
  message: string,
  author: CommitIdentity,
  excludePaths: readonly string[] = [],
): Promise<string | null> {
  // Identity as per-command config: simple-git refuses GIT_* and EDITOR-like variables in env.
  const git = simpleGit({ baseDir: worktree, config: [`user.name=${author.name}`, `user.email=${author.email}`] });
  await git.add(["-A"]);
  if (excludePaths.length) await git.raw(["reset", "-q", "--", ...excludePaths]);
  if ((await git.diff(["--cached", "--name-only"])).trim() === "") return null;
  await git.commit(message);
  return (await git.revparse(["HEAD"])).trim();
}

/** `planwright/issue-12-add-health-endpoint`: lowercase, ascii, bounded. */
export function branchName(prefix: string, number: number | null, title: string): string {
  const slug = title
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/g, "");
  const stem = number !== null ? `issue-${number}${slug ? `-${slug}` : ""}` : slug || "task";
  return `${prefix}${stem}`;
}
