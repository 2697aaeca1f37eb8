import type { ReactionTarget } from "../triggers/trigger.js";

/** GitHub's repository permission levels, lowest first. */
export const PERMISSION_ORDER = ["none", "read", "triage", "write", "maintain", "admin"] as const;
export type Permission = (typeof PERMISSION_ORDER)[number];

export type ReactionContent = "eyes" | "+1" | "confused" | "rocket";

export interface Comment {
  id: number;
  body: string;
  url: string;
}

export interface DirectoryEntry {
  name: string;
  path: string;
  type: "file" | "dir" | "symlink" | "submodule";
}

export interface IssueDetails {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  author: string;
  isPullRequest: boolean;
}

export interface IssueComment {
  id: number;
  author: string;
  authorType: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

export interface PullRequest {
  number: number;
  /** GraphQL's global id (REST's `node_id`): the only handle the draft mutations accept. */
  nodeId: string;
  url: string;
  state: "open" | "closed";
  merged: boolean;
  draft: boolean;
  headRef: string;
  headSha: string;
  /**
   * The head branch lives outside this repository (a fork, or a repository since deleted),
   * so a same-named branch here is not the pull request's and pushing to it changes nothing on it.
   */
  crossRepository: boolean;
  baseRef: string;
  title: string;
  body: string;
  author: string;
}

export interface Review {
  id: number;
  author: string;
  /** APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING. */
  state: string;
  body: string;
  /** GitHub records no edit time for a review's own text, only when it was submitted. */
  submittedAt: string;
}

export interface ReviewComment {
  id: number;
  reviewId: number | null;
  author: string;
  body: string;
  path: string;
  /** Null when the comment is on a line that no longer exists in the diff. */
  line: number | null;
  diffHunk: string;
  createdAt: string;
  /** Equal to `createdAt` until someone edits the comment. */
  updatedAt: string;
  /** Set on replies; the thread is named after its first comment. */
  inReplyToId: number | null;
}

export interface ChangedFile {
  path: string;
  status: string;
  additions: number;
  deletions: number;
}

export interface NewPullRequest {
  title: string;
  body: string;
  head: string;
  base: string;
  draft: boolean;
}

/**
 * Everything planwright asks of GitHub for one repository, behind an interface
 * so the pipeline, the CLI and the tests can plug in something else.
 * Implementations throw `GitHubAPIError` with the HTTP status on failure.
 */
export interface GitHubPort {
  /** The actor's permission on the repository; `none` when they are not a collaborator. */
  getPermission(username: string): Promise<Permission>;
  addReaction(target: ReactionTarget, content: ReactionContent): Promise<void>;
  createComment(issueNumber: number, body: string): Promise<Comment>;
  updateComment(commentId: number, body: string): Promise<void>;
  /** The newest comment on the issue whose body contains `marker`. */
  findComment(issueNumber: number, marker: string): Promise<Comment | undefined>;
  /** A text file from the default branch; undefined when it does not exist. */
  readFile(path: string): Promise<string | undefined>;
  /** Entries of a directory on the default branch; empty when it does not exist. */
  listDirectory(path: string): Promise<DirectoryEntry[]>;
  getIssue(number: number): Promise<IssueDetails>;
  listIssueComments(number: number): Promise<IssueComment[]>;
  /** The newest pull request whose head is `branch` in this repository, open ones first. */
  findPullRequest(branch: string): Promise<PullRequest | undefined>;
  /** Open pull requests whose head branch starts with `prefix`, forks' included: check `crossRepository`. */
  listOpenPullRequests(headPrefix: string): Promise<PullRequest[]>;
  createPullRequest(request: NewPullRequest): Promise<PullRequest>;
  updatePullRequest(number: number, change: { title?: string; body?: string }): Promise<void>;
  /**
   * Converts an open pull request to a draft, or marks it ready for review.
   * REST cannot change this on an existing pull request, so this goes through
   * GraphQL, which an old GitHub Enterprise Server may not offer.
   */
  setPullRequestDraft(pullRequest: Pick<PullRequest, "number" | "nodeId">, draft: boolean): Promise<void>;
  addLabels(number: number, labels: readonly string[]): Promise<void>;
  getPullRequest(number: number): Promise<PullRequest>;
  listReviews(pullNumber: number): Promise<Review[]>;
  listReviewComments(pullNumber: number): Promise<ReviewComment[]>;
  listPullRequestFiles(pullNumber: number): Promise<ChangedFile[]>;
  replyToReviewComment(pullNumber: number, commentId: number, body: string): Promise<void>;
  requestReviewers(pullNumber: number, logins: readonly string[]): Promise<void>;
}

export function permissionAtLeast(actual: Permission, required: Permission): boolean {
  return PERMISSION_ORDER.indexOf(actual) >= PERMISSION_ORDER.indexOf(required);
}
