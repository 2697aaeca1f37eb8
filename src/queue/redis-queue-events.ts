import type { JobQueue } from "./job-queue.js";
import { RedisJobQueue } from "./redis-job-queue.js";
import type { WorkerPool } from "./worker-pool.js";

/**
 * Lets a worker pool hear what other processes do to a shared Redis queue: a
 * new job wakes its idle slots at once, and a stop request for a job it runs
 * is checked at once instead of at the next lease renewal. For any other
 * queue it does nothing: one process already calls `notify` and `checkNow`
 * itself. Returns a function that stops listening.
 */
export function forwardQueueEvents(queue: JobQueue, pool: Pick<WorkerPool, "notify" | "checkNow">): () => void {
  if (!(queue instanceof RedisJobQueue) || !queue.hearsEvents) return () => undefined;
  const stops = [
    queue.onEnqueued(() => pool.notify()),
    // checkNow is a no-op for jobs this pool does not run; a failed renewal is retried on schedule.
    queue.onCancel((jobId) => void pool.checkNow(jobId).catch(() => undefined)),
  ];
  return () => {
    for (const stop of stops) stop();
  };
}
