import type { RepoConfig } from "../config/repo-config.js";
import type { ImplementSource, IssueText, ReviseSource } from "../triggers/trigger.js";

/** The repository a job works on, as the webhook described it. */
export interface JobRepository {
  owner: string;
  name: string;
  /** `owner/name` */
  fullName: string;
  /** HTTPS clone URL from the payload: right for github.com and GHES alike. */
  cloneUrl: string;
  defaultBranch: string;
  private: boolean;
}

/**
 * Everything the pipeline needs to do the work, captured at trigger time so a
 * worker on another machine needs nothing but the installation's credentials.
 */
export interface JobSpec {
  kind: "implement" | "revise";
  installationId: number;
  repository: JobRepository;
  /** The issue being implemented; for revise runs, the issue the PR closes when known. */
  issueNumber: number | null;
  /** The pull request being revised (revise runs only). */
  pullRequestNumber: number | null;
  /** Agent name (`backend-engineer`). */
  agent: string;
  /** The slash command that reaches this agent in this repository (`backend`), for messages. */
  command: string;
  /** Extra instructions from the trigger (may be empty). */
  instructions: string;
  /** Login of whoever asked. */
  requester: string;
  /** `X-GitHub-Delivery` of the webhook that created the job. */
  deliveryId: string;
  source: ImplementSource | ReviseSource;
  /** The review or comment that triggered a revise run, when there is one. */
  reviewId: number | null;
  commentId: number | null;
  /** `.github/planwright.yml` as validated when the job was accepted. */
  config: RepoConfig;
  /** Filled in once the acknowledgement comment exists. */
  trackingCommentId: number | null;
  /**
   * The issue's title and body from the triggering webhook (implement runs), which the agent
   * is given instead of whatever the issue says when a worker gets to it: its author may lack
   * write access and edit it while the job waits. Null when the webhook carried no issue of
   * the job's (revise runs: their event is about the pull request). Optional because jobs
   * queued before it existed have none; those read the live issue.
   */
  issueSnapshot?: IssueText | null;
}

export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export const ACTIVE_STATES: readonly JobState[] = ["queued", "running"];

export interface Job {
  id: string;
  spec: JobSpec;
  state: JobState;
  /**
   * `owner/name#number:agent`: at most one queued and at most one running job
   * per key, the queued one being a follow-up that waits for the running one.
   */
  dedupeKey: string;
  /**
   * `owner/name#number`: no two jobs with the same key run at once, whichever
   * agent they are for, so two runs never push to one pull request together.
   * Null for jobs that need no such exclusion.
   */
  serialKey: string | null;
  /** How many times a worker has claimed it (lease expiry makes this grow). */
  attempts: number;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /**
   * Which worker holds it while running, and until when. A running job with
   * no worker was handed back at a shutdown (`release`) and is taken again by
   * the next claim.
   */
  workerId: string | null;
  leaseExpiresAt: number | null;
  /** Set when someone asked to stop it; running jobs notice on their next lease renewal. */
  cancelRequestedBy: string | null;
  /** Human-readable outcome: why it failed, or a summary of what it did. */
  message: string | null;
}

export function dedupeKeyFor(repoFullName: string, number: number, agent: string): string {
  return `${repoFullName.toLowerCase()}#${number}:${agent}`;
}

/** Issues and pull requests share one number space, so this names a single thread. */
export function serialKeyFor(repoFullName: string, number: number): string {
  return `${repoFullName.toLowerCase()}#${number}`;
}
