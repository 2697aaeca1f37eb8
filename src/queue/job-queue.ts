import type { Job, JobSpec, JobState } from "./job.js";

export interface EnqueueRequest {
  spec: JobSpec;
  /** Same `X-GitHub-Delivery` twice (a manual redelivery) never makes a second job. */
  deliveryId: string;
  /**
   * While a job with this key is queued or running, no second one is made;
   * the one exception is a follow-up behind a running job (see `followUp`).
   */
  dedupeKey: string;
  /**
   * Jobs sharing this key never run at the same time: `claim()` skips one
   * while another with the key is running. Omit it for jobs that may overlap.
   */
  serialKey?: string;
  /**
   * For feedback that should be acted on after the current run rather than
   * dropped: when the only active job for `dedupeKey` is running, a queued job
   * is made behind it (`queued-behind`). A job already queued for the key
   * absorbs the request instead (`already-active`), so feedback arriving
   * during one run is batched into a single follow-up run.
   */
  followUp?: boolean;
}

export type EnqueueResult =
  | { outcome: "enqueued"; job: Job }
  /** This delivery was seen before; `job` is the one it made. */
  | { outcome: "duplicate-delivery"; job: Job }
  /**
   * Another trigger for the same issue/PR and agent is queued or running.
   * For a follow-up, `job` is the queued one it is batched into; otherwise the
   * running one when there is one (as `findActive` would return).
   */
  | { outcome: "already-active"; job: Job }
  /** A follow-up was queued as `job`; it starts once `running` has ended. */
  | { outcome: "queued-behind"; job: Job; running: Job };

/**
 * How long a job whose worker vanished waits, after its lease ran out, before
 * another worker takes it: `baseMs` doubling with each attempt, at most
 * `maxMs`. A crash that the job itself causes then does not hammer the workers
 * (or GitHub) in a tight loop before `maxAttempts` ends it.
 */
export interface RetryBackoff {
  baseMs: number;
  maxMs: number;
}

/** How many finished jobs one `prune` call deletes at most, unless told otherwise. */
export const DEFAULT_PRUNE_BATCH = 500;

export const DEFAULT_RETRY_BACKOFF: RetryBackoff = { baseMs: 15_000, maxMs: 10 * 60_000 };

/** The wait before the next claim of a job whose `attempts`-th lease ran out. */
export function retryDelayMs(backoff: RetryBackoff, attempts: number): number {
  if (attempts < 1 || backoff.baseMs <= 0) return 0;
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(attempts - 1, 30));
}

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
  /**
   * Takes the oldest queued job (or one whose lease expired) for `workerId`,
   * skipping jobs that must wait: a queued job whose dedupe key or serial key
   * belongs to a running job, and an expired job whose serial key belongs to a
   * job with a live lease. An expired running job holds its serial key until it
   * is reclaimed or retired, so it goes before any job queued behind it.
   */
  claim(workerId: string, leaseMs: number): Promise<Job | undefined>;
  renewLease(jobId: string, workerId: string, leaseMs: number): Promise<LeaseStatus>;
  /**
   * Hands a running job back without an outcome, for a worker that is shutting
   * down: the job keeps its place and its keys (nothing queued behind it can
   * overtake it), the next claim takes it without waiting for the lease to run
   * out or a retry delay, and the interrupted claim does not count as an
   * attempt. A job someone asked to stop ends as cancelled instead. Ignored
   * (undefined) if `workerId` no longer holds the job.
   */
  release(jobId: string, workerId: string): Promise<Job | undefined>;
  /**
   * Deletes finished jobs (and with them the delivery ids they remember) that
   * finished before `finishedBefore`, at most `limit` per call (default 500),
   * so one call never holds the store for long. Returns how many it deleted;
   * fewer than `limit` means there is nothing older left.
   */
  prune(finishedBefore: number, limit?: number): Promise<number>;
  /** Records the end of a run. Ignored if `workerId` no longer holds the job. */
  finish(jobId: string, workerId: string, outcome: JobOutcome): Promise<Job | undefined>;
  /**
   * Asks a job to stop. A queued job is cancelled at once; a running one is
   * flagged and its worker stops at its next lease renewal. Finished jobs are
   * returned unchanged.
   */
  cancel(jobId: string, requestedBy: string): Promise<Job | undefined>;
  get(jobId: string): Promise<Job | undefined>;
  /** The running job for a dedupe key if there is one, else the queued one. */
  findActive(dedupeKey: string): Promise<Job | undefined>;
  /** Every active job for a dedupe key (a running one, then a queued follow-up), so a stop can cancel both. */
  findActiveAll(dedupeKey: string): Promise<Job[]>;
  /** Every active job with this serial key: running first, then queued ones in the order they will be claimed. */
  listActiveBySerialKey(serialKey: string): Promise<Job[]>;
  setTrackingComment(jobId: string, commentId: number): Promise<void>;
  /**
   * Hears the jobs that `claim()` ends itself, without a worker: a stop asked
   * for while the worker had vanished, or every attempt used up. No worker is
   * left to say so on GitHub, so the process whose claim ended them does; only
   * that one hears each job. Returns a function that stops listening.
   */
  onRetired(listener: (job: Job) => void): () => void;
  close(): Promise<void>;
}

/** Queued and running jobs, as `/metrics` reports them on every scrape. */
export interface ActiveJobCounts {
  queued: number;
  running: number;
}

/** Narrows `list()` on backends that offer it (for status pages and the CLI). */
export interface JobListFilter {
  state?: JobState;
  /** At most this many jobs, newest first. */
  limit?: number;
}
