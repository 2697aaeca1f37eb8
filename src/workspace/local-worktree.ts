import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { simpleGit } from "simple-git";
import { ConfigurationError } from "../errors.js";
import { runGit } from "./git-runner.js";

export interface LocalWorktree {
  /** Where the agent works: a separate worktree, so the user's checkout is never touched. */
  path: string;
  /**
   * Pins git on the host to the worktree's git directory as it was created
   * (see `Checkout.gitEnv`): the agent can rewrite the worktree's `.git` file.
   */
  gitEnv: Record<string, string>;
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
  let top: string;
  try {
    // simple-git throws at construction for a directory that does not exist: inside the try.
    top = (await simpleGit(repo).revparse(["--show-toplevel"])).trim();
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
  // Read now, before any command runs in the worktree: this is the truth later calls are pinned to.
  const gitDir = (await simpleGit(worktree).revparse(["--absolute-git-dir"])).trim();
  const commonDir = path.resolve(top, (await simpleGit(top).revparse(["--git-common-dir"])).trim());
  return {
    path: worktree,
    gitEnv: { GIT_DIR: gitDir, GIT_WORK_TREE: worktree, GIT_COMMON_DIR: commonDir },
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
  worktree: Pick<LocalWorktree, "path" | "gitEnv">,
  message: string,
  author: CommitIdentity,
  excludePaths: readonly string[] = [],
): Promise<string | null> {
  // Pinned git directory, and runGit's hooks and fsmonitor off: the agent wrote this worktree,
  // and a hook or a redirected .git would otherwise run its code here, outside the sandbox.
  const git = (args: string[]) =>
    runGit({
      cwd: worktree.path,
      args,
      env: worktree.gitEnv,
      config: [
        ["user.name", author.name],
        ["user.email", author.email],
      ],
    });
  await git(["add", "-A"]);
  if (excludePaths.length) await git(["reset", "-q", "--", ...excludePaths]);
  if ((await git(["diff", "--cached", "--name-only"])).trim() === "") return null;
  await git(["commit", "--quiet", "--no-verify", "-m", message]);
  return (await git(["rev-parse", "HEAD"])).trim();
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
