/**
 * Checkouts for runs: one bare mirror per repository under the data
 * directory, fetched incrementally, and one worktree per run. Credentials are
 * handed to git per command and never written to any git config.
 */

import type { SandboxPaths } from "../sandbox/sandbox.js";

export interface CheckoutRequest {
  /** HTTPS clone URL from the webhook payload (github.com or GHES). */
  cloneUrl: string;
  /** `owner/name`, used for the mirror's directory. */
  repoFullName: string;
  defaultBranch: string;
  /** The run's branch, e.g. `planwright/issue-12-add-health`. Reused when it already exists on the remote. */
  branch: string;
  /** A fresh installation token; called right before each network operation. */
  token: () => Promise<string>;
  /** Unique per run; names the worktree directory. */
  runId: string;
  signal?: AbortSignal;
}

export interface Checkout {
  /** The worktree the agent works in. */
  path: string;
  branch: string;
  /**
   * The commit the work starts from (the remote branch's head when it existed,
   * else the default branch's); empty when the repository has no commits.
   */
  baseSha: string;
  /** True when the branch already existed on the remote (a re-run or a revise run). */
  branchExisted: boolean;
  /** True when the repository has no commits at all. */
  emptyRepository: boolean;
  /** The repository's cached bare mirror the worktree belongs to, when the workspace keeps one. */
  mirrorPath?: string;
  /**
   * What sandboxed commands need besides the worktree for git to work in it:
   * the mirror read-only (objects, refs, config; nothing secret is stored
   * there) and the worktree's own git directory writable (its index and
   * HEAD). New objects cannot be written, so commits stay planwright's.
   */
  sandboxPaths: SandboxPaths;
  /**
   * Environment that pins git to this worktree's real git directory. Git run
   * on the host against the worktree must use it: the worktree's `.git` file
   * is writable by sandboxed commands, and a redirected one would bring its
   * own configuration (an fsmonitor program, a clean filter) to run outside
   * the sandbox.
   */
  gitEnv?: Record<string, string>;
}

export interface CommitRequest {
  message: string;
  author: { name: string; email: string };
  /** Globs (`.github/workflows/**`) whose changes are left out of the commit. */
  protectedPaths: readonly string[];
  /** Paths to leave out silently (setup artifacts the agent did not touch). */
  excludePaths?: readonly string[];
}

export interface CommitResult {
  /** The new commit, or null when nothing (left) changed. */
  sha: string | null;
  /** Files changed by the agent that were not committed because they are protected. */
  droppedPaths: string[];
  /** Files in the commit. */
  changedPaths: string[];
}

export interface Workspace {
  checkout(request: CheckoutRequest): Promise<Checkout>;
  commit(checkout: Checkout, request: CommitRequest): Promise<CommitResult>;
  /** Pushes the branch. Throws `PushRejectedError` when the remote branch moved meanwhile. */
  push(checkout: Checkout, request: { cloneUrl: string; token: () => Promise<string>; signal?: AbortSignal }): Promise<void>;
  /** Done with the run's worktree: removed, or kept clean for a later run (the mirror stays either way). */
  release(checkout: Checkout): Promise<void>;
}

/** The remote branch changed between checkout and push (someone else pushed). */
export class PushRejectedError extends Error {
  override name = "PushRejectedError";
  constructor(
    readonly branch: string,
    readonly detail: string,
    /** Where the run's commit went instead, when it could be kept. */
    readonly rescuedTo?: string,
  ) {
    super(
      `the push to ${branch} was rejected because the branch moved on GitHub while planwright worked (${detail}). ` +
        (rescuedTo
          ? `Nothing is lost: this run's commit is on the branch ${rescuedTo}.`
          : "Trigger the run again to start from the new head."),
    );
  }
}

/** Git failed in a way a person must look at (bad credentials, missing repository, network). */
export class GitOperationError extends Error {
  override name = "GitOperationError";
  constructor(
    readonly operation: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`git ${operation} failed: ${message}`, options);
  }
}
