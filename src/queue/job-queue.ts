import type { Job, JobSpec, JobState } from "./job.js";

export interface EnqueueRequest {
  spec: JobSpec;
  /** Same `X-GitHub-Delivery` twice (a manual redelivery) never makes a second job. */
  deliveryId: string;
  /** While a job with this key is queued or running, no second one is made. */
  dedupeKey: string;
}

export type EnqueueResult =
  | { outcome: "enqueued"; job: Job }
  /** This delivery was seen before; `job` is the one it made. */
  | { outcome: "duplicate-delivery"; job: Job }
  /** Another trigger for the same issue/PR and agent is queued or running. */
  | { outcome: "already-active"; job: Job };

/** What a lease renewal found. `cancelled`: stop now. `lost`: another worker owns it. */
export type LeaseStatus = "ok" | "cancelled" | "lost";

export interface JobOutcome {
  state: "succeeded" | "failed" | "cancelled";
  message: string;
}

/**
 * A durable job queue. The embedded SQLite queue is the default; a Redis
 * backend implements the same contract for several machines.
 */
export interface JobQueue {
  enqueue(request: EnqueueRequest): Promise<EnqueueResult>;
  /** Takes the oldest queued job (or one whose lease expired) for `workerId`. */
  claim(workerId: string, leaseMs: number): Promise<Job | undefined>;
  renewLease(jobId: string, workerId: string, leaseMs: number): Promise<LeaseStatus>;
  /** Records the end of a run. Ignored if `workerId` no longer holds the job. */
  finish(jobId: string, workerId: string, outcome: JobOutcome): Promise<Job | undefined>;
  /**
   * Asks a job to stop. A queued job is cancelled at once; a running one is
   * flagged and its worker stops at its next lease renewal. Finished jobs are
   * returned unchanged.
   */
  cancel(jobId: string, requestedBy: string): Promise<Job | undefined>;
  get(jobId: string): Promise<Job | undefined>;
  /** The queued or running job for a dedupe key, if any. */
  findActive(dedupeKey: string): Promise<Job | undefined>;
  setTrackingComment(jobId: string, commentId: number): Promise<void>;
  close(): Promise<void>;
}

/** Narrows `list()` on backends that offer it (for status pages and the CLI). */
export interface JobListFilter {
  state?: JobState;
  /** At most this many jobs, newest first. */
  limit?: number;
}
