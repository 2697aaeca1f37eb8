import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { messageOf } from "../errors.js";
import type { Job } from "./job.js";
import type { JobOutcome, JobQueue } from "./job-queue.js";

/** Pino's `(obj, msg)` / `(msg)` calling convention; a pino or Probot logger fits. */
export type PoolLogFn = (objOrMsg: object | string, msg?: string) => void;

export interface PoolLogger {
  info: PoolLogFn;
  warn: PoolLogFn;
  error: PoolLogFn;
  debug: PoolLogFn;
}

export interface JobRunTools {
  /** Aborted when the job is cancelled, its lease is lost, or the pool shuts down; `reason` is a `JobAbortedError`. */
  signal: AbortSignal;
}

export type JobRunner = (job: Job, tools: JobRunTools) => Promise<JobOutcome>;

export interface WorkerPoolOptions {
  queue: JobQueue;
  /** How many jobs run at once in this process. */
  concurrency: number;
  run: JobRunner;
  /** Lease length; renewed every third of it. Default 60s. */
  leaseMs?: number;
  /** How often idle slots look for work when nobody calls `notify()`. Default 1s. */
  pollMs?: number;
  /** Default `hostname:pid:random`. Each slot claims as `<workerId>/<slot>`. */
  workerId?: string;
  log?: PoolLogger;
}

export type AbortKind = "cancelled" | "lease-lost" | "shutdown";

/** The `signal.reason` a runner sees, so it can tell a user's stop from a shutdown. */
export class JobAbortedError extends Error {
  override name = "JobAbortedError";
  readonly kind: AbortKind;
  /** Login of whoever asked to stop, for `cancelled`. */
  readonly requestedBy: string | null;

  constructor(kind: AbortKind, message: string, requestedBy: string | null = null) {
    super(message);
    this.kind = kind;
    this.requestedBy = requestedBy;
  }
}

const silentLogger: PoolLogger = { info() {}, warn() {}, error() {}, debug() {} };

interface RunningJob {
  job: Job;
  controller: AbortController;
  lease?: LeaseKeeper;
}

/**
 * Runs queued jobs in `concurrency` independent loops. Each loop claims a job,
 * keeps its lease alive while the runner works, turns a cancel request into an
 * aborted signal, and records the outcome.
 */
export class WorkerPool {
  private readonly queue: JobQueue;
  private readonly concurrency: number;
  private readonly run: JobRunner;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly log: PoolLogger;
  readonly workerId: string;

  private loops: Promise<void>[] = [];
  private stopping = false;
  private readonly running = new Set<RunningJob>();
  /** Bumped by `notify()`; a loop that saw an older value skips its next sleep. */
  private wakeups = 0;
  private readonly sleepers = new Set<() => void>();

  constructor(options: WorkerPoolOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError(`concurrency must be a whole number of at least 1, got ${options.concurrency}`);
    }
    this.queue = options.queue;
    this.concurrency = options.concurrency;
    this.run = options.run;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.pollMs = options.pollMs ?? 1000;
    this.log = options.log ? neverThrowing(options.log) : silentLogger;
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  }

  start(): void {
    if (this.loops.length > 0) return;
    this.stopping = false;
    for (let slot = 0; slot < this.concurrency; slot++) {
      // Separate ids per slot: if one slot's lease lapses, another slot of this
      // same pool reclaiming the job must not look like the original holder.
      this.loops.push(this.loop(`${this.workerId}/${slot}`));
    }
    this.log.info({ workerId: this.workerId, concurrency: this.concurrency }, "worker pool started");
  }

  /**
   * Checks a job this pool is running for a stop request now instead of at the
   * next lease renewal, so a `/backend stop` handled by this process takes
   * effect within moments. Jobs running elsewhere notice at their renewal.
   */
  async checkNow(jobId: string): Promise<boolean> {
    const entry = [...this.running].find((r) => r.job.id === jobId);
    if (!entry?.lease) return false;
    await entry.lease.renewNow();
    return true;
  }

  /** Wakes idle slots now; call it after an enqueue so the job does not wait for the next poll. */
  notify(): void {
    this.wakeups++;
    for (const wake of this.sleepers) wake();
  }

  /**
   * Stops claiming, gives running jobs `graceMs` to finish, then aborts them
   * and waits up to `abortWaitMs` (default 5s) for their runners to return.
   * Aborted jobs are not recorded as failed: they are handed back to the queue
   * (`release`), so another worker takes them at once. A runner that ignores
   * its abort keeps its job until the lease lapses.
   */
  async stop(options: { graceMs: number; abortWaitMs?: number }): Promise<void> {
    this.stopping = true;
    this.notify();
    const all = Promise.all(this.loops);
    if (!(await settlesWithin(all, options.graceMs))) {
      const aborted = [...this.running];
      this.log.warn(
        { jobs: aborted.map((r) => r.job.id), graceMs: options.graceMs },
        "jobs still running after the shutdown grace period; stopping them",
      );
      for (const { controller } of aborted) {
        controller.abort(new JobAbortedError("shutdown", "planwright is shutting down; the job will be retried"));
      }
      if (!(await settlesWithin(all, options.abortWaitMs ?? 5000))) {
        this.log.error({ jobs: aborted.map((r) => r.job.id) }, "jobs ignored their abort signal; leaving them behind");
      }
    }
    this.loops = [];
  }

  private async loop(slotId: string): Promise<void> {
    while (!this.stopping) {
      const seen = this.wakeups;
      try {
        const job = await this.queue.claim(slotId, this.leaseMs);
        if (job) {
          await this.execute(job, slotId);
          continue;
        }
      } catch (error) {
        this.log.error({ err: error, workerId: slotId }, "worker loop error; retrying after the poll interval");
      }
      await this.sleep(seen);
    }
  }

  private async execute(job: Job, slotId: string): Promise<void> {
    const entry: RunningJob = { job, controller: new AbortController() };
    const { signal } = entry.controller;
    const context = { jobId: job.id, workerId: slotId, attempt: job.attempts, dedupeKey: job.dedupeKey };
    const lease = new LeaseKeeper(this.queue, job, slotId, this.leaseMs, entry.controller, this.log);
    entry.lease = lease;
    this.running.add(entry);
    try {
      this.log.info(context, "job started");
      let outcome: JobOutcome;
      try {
        outcome = await this.run(job, { signal });
      } catch (error) {
        outcome = { state: "failed", message: messageOf(error) };
      }
      await lease.stop();
      const next = decideOutcome(outcome, signal);
      if (next.kind === "release") {
        const released = await this.queue.release(job.id, slotId);
        if (released?.state === "running") this.log.info(context, "job handed back to the queue for another worker");
        else if (released) this.log.info({ ...context, state: released.state }, "job ended while being handed back");
        else this.log.warn(context, "job could not be handed back: this worker no longer held it");
        return;
      }
      if (next.kind === "nothing") {
        this.log.warn({ ...context, reason: messageOf(signal.reason) }, "job stopped without recording an outcome");
        return;
      }
      const finished = await this.queue.finish(job.id, slotId, next.outcome);
      if (finished) this.log.info({ ...context, state: finished.state, message: finished.message }, "job finished");
      else this.log.warn(context, "job finished after this worker lost it; outcome not recorded");
    } catch (error) {
      this.log.error({ ...context, err: error }, "could not record the job's outcome");
    } finally {
      await lease.stop();
      this.running.delete(entry);
    }
  }

  private sleep(seen: number): Promise<void> {
    if (this.stopping || this.wakeups !== seen) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, this.pollMs);
      this.sleepers.add(wake);
    });
  }
}

type NextStep = { kind: "finish"; outcome: JobOutcome } | { kind: "release" } | { kind: "nothing" };

/**
 * What to do once the runner returned: record an outcome, hand the job back
 * (a shutdown interrupted it), or nothing (another worker owns it now).
 */
function decideOutcome(outcome: JobOutcome, signal: AbortSignal): NextStep {
  if (!signal.aborted) return { kind: "finish", outcome };
  const reason: unknown = signal.reason;
  if (!(reason instanceof JobAbortedError)) return { kind: "finish", outcome };
  switch (reason.kind) {
    case "cancelled":
      return { kind: "finish", outcome: { state: "cancelled", message: reason.message } };
    case "lease-lost":
      return { kind: "nothing" };
    case "shutdown":
      // Work that completed anyway is worth keeping; anything else runs again elsewhere.
      return outcome.state === "succeeded" ? { kind: "finish", outcome } : { kind: "release" };
  }
}

/** Renews a job's lease every third of `leaseMs` and aborts the run when the queue says so. */
class LeaseKeeper {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly queue: JobQueue,
    private readonly job: Job,
    private readonly workerId: string,
    private readonly leaseMs: number,
    private readonly controller: AbortController,
    private readonly log: PoolLogger,
  ) {
    this.schedule();
  }

  /** Stops renewing and waits for a renewal already under way, so its verdict is in before the outcome is decided. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
  }

  /** One renewal right away (it also delivers a pending stop request). */
  async renewNow(): Promise<void> {
    if (this.stopped) return;
    await this.inFlight;
    await this.renew();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.inFlight = this.renew().finally(() => this.schedule());
    }, Math.max(1, Math.floor(this.leaseMs / 3)));
  }

  private async renew(): Promise<void> {
    try {
      const status = await this.queue.renewLease(this.job.id, this.workerId, this.leaseMs);
      if (status === "ok" || this.controller.signal.aborted) return;
      if (status === "lost") {
        this.stopped = true;
        this.controller.abort(
          new JobAbortedError("lease-lost", `worker ${this.workerId} lost the lease on job ${this.job.id} to another worker`),
        );
        return;
      }
      const current = await this.queue.get(this.job.id);
      const by = current?.cancelRequestedBy ?? "someone";
      this.controller.abort(new JobAbortedError("cancelled", `stopped by @${by}`, by));
    } catch (error) {
      // A missed renewal is not fatal: the lease still has two thirds left.
      this.log.warn({ err: error, jobId: this.job.id }, "could not renew the job lease");
    }
  }
}

/** A logger that throws (a broken transport) must not take a worker loop down with it. */
function neverThrowing(log: PoolLogger): PoolLogger {
  const guard =
    (level: keyof PoolLogger): PoolLogFn =>
    (objOrMsg, msg) => {
      try {
        log[level](objOrMsg, msg);
      } catch {
        // Nowhere left to report it.
      }
    };
  return { info: guard("info"), warn: guard("warn"), error: guard("error"), debug: guard("debug") };
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
