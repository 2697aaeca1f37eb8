import { DEFAULT_PRUNE_BATCH } from "./job-queue.js";
import type { JobQueue } from "./job-queue.js";
import type { PoolLogFn } from "./worker-pool.js";

export interface JobPruningOptions {
  queue: Pick<JobQueue, "prune">;
  /** Finished jobs older than this go; 0 turns pruning off. */
  retentionMs: number;
  /** Time between passes. Default one hour. */
  intervalMs?: number;
  /** Delay before the first pass, so it does not compete with startup. Default 30 s. */
  firstPassAfterMs?: number;
  /** Jobs deleted per `prune` call; smaller batches let other writers in between. Default 500. */
  batchSize?: number;
  /**
   * What else this process keeps past the same cutoff (its run transcripts,
   * its repository mirrors), by name for the log: each deletes what is older
   * than the cutoff and says how many it deleted.
   */
  alsoPrune?: Record<string, (cutoff: number) => Promise<number>>;
  now?: () => number;
  log?: { info: PoolLogFn; warn: PoolLogFn };
}

export interface JobPruning {
  /** One pass now (tests, and the first pass after start); resolves to how many jobs it deleted. */
  runOnce(): Promise<number>;
  /** Stops the timer and waits for a pass under way. */
  stop(): Promise<void>;
}

/**
 * Deletes finished jobs, and whatever else `alsoPrune` names, once they are
 * older than the retention period, on a timer, so neither the queue nor a
 * worker's disk grows without bound. Every process with workers runs it; two
 * passes at once are harmless (each deletion is its own atomic step).
 */
export function startJobPruning(options: JobPruningOptions): JobPruning {
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 60 * 60 * 1000;
  const batchSize = options.batchSize ?? DEFAULT_PRUNE_BATCH;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let pass: Promise<number> = Promise.resolve(0);

  const runPass = async (): Promise<number> => {
    const cutoff = now() - options.retentionMs;
    let total = 0;
    for (;;) {
      const deleted = await options.queue.prune(cutoff, batchSize);
      total += deleted;
      if (deleted < batchSize || stopped) break;
      // Between batches, so webhooks and claims get the store.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const others: Record<string, number> = {};
    for (const [name, prune] of Object.entries(options.alsoPrune ?? {})) {
      if (stopped) break;
      others[name] = await prune(cutoff);
    }
    if (total > 0 || Object.values(others).some((n) => n > 0)) {
      options.log?.info({ deleted: total, ...others, cutoff }, "deleted what is past the retention period");
    }
    return total;
  };

  const runOnce = (): Promise<number> => {
    pass = pass.then(runPass, runPass);
    return pass;
  };

  const schedule = (delayMs: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      runOnce()
        .catch((error: unknown) => {
          options.log?.warn({ err: error }, "pruning finished jobs failed; trying again at the next interval");
        })
        .finally(() => schedule(intervalMs));
    }, delayMs);
    // A pending prune must never keep a stopping process alive.
    timer.unref();
  };

  if (options.retentionMs > 0) schedule(options.firstPassAfterMs ?? 30_000);

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await pass.catch(() => undefined);
    },
  };
}
