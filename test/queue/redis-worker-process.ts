/**
 * A worker process for redis-multiprocess.test.ts: a WorkerPool on a
 * RedisJobQueue, wired to its events the way production is, running a scripted
 * runner. It writes what it does to Redis lists under the queue's prefix, so
 * the test reads them and the suite's cleanup deletes them.
 *
 * Environment: REDIS_URL, QUEUE_PREFIX, MODE (gate | hang-first-attempt |
 * until-stopped), and optionally LEASE_MS, POLL_MS, CONCURRENCY, MAX_ATTEMPTS, RETRY_MS
 * (retry delay after a lapsed lease; default 200 so tests do not wait out the production 15 s).
 */
import { Redis } from "ioredis";
import type { Job } from "../../src/queue/job.js";
import type { JobOutcome } from "../../src/queue/job-queue.js";
import { RedisJobQueue } from "../../src/queue/redis-job-queue.js";
import { forwardQueueEvents } from "../../src/queue/redis-queue-events.js";
import { WorkerPool } from "../../src/queue/worker-pool.js";
import type { JobRunTools } from "../../src/queue/worker-pool.js";
import { childRecordKeys } from "./redis-worker-records.js";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`redis-worker-process needs ${name}`);
  return value;
};
const number = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

const url = env("REDIS_URL");
const prefix = env("QUEUE_PREFIX");
const mode = env("MODE");
const records = childRecordKeys(prefix);
const workerId = `child-${process.pid}`;

const retryMs = number("RETRY_MS", 200);
const queue = await RedisJobQueue.connect({
  url,
  prefix,
  maxAttempts: number("MAX_ATTEMPTS", 3),
  retryBackoff: { baseMs: retryMs, maxMs: retryMs },
});
const recorder = new Redis(url);

const untilAborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));

async function run(job: Job, { signal }: JobRunTools): Promise<JobOutcome> {
  await recorder.rpush(records.started, `${job.id} ${workerId} ${job.attempts}`);
  switch (mode) {
    case "gate":
      // Every job waits for the test to open the gate, so the test can see several run at once.
      while (!signal.aborted && (await recorder.exists(records.gate)) === 0) await new Promise((r) => setTimeout(r, 20));
      break;
    case "hang-first-attempt":
      // The first attempt never ends on its own: the test kills this process mid-job.
      if (job.attempts === 1) await untilAborted(signal);
      break;
    case "until-stopped":
      await untilAborted(signal);
      await recorder.rpush(records.aborted, `${job.id} ${workerId} ${Date.now()}`);
      return { state: "failed", message: "aborted" };
    default:
      throw new Error(`unknown MODE ${mode}`);
  }
  await recorder.rpush(records.finished, `${job.id} ${workerId} ${job.attempts}`);
  return { state: "succeeded", message: `done by ${workerId}` };
}

const pool = new WorkerPool({
  queue,
  concurrency: number("CONCURRENCY", 1),
  leaseMs: number("LEASE_MS", 60_000),
  pollMs: number("POLL_MS", 60_000),
  workerId,
  run,
});
forwardQueueEvents(queue, pool);
pool.start();
process.stdout.write(`ready ${workerId}\n`);

process.once("SIGTERM", () => {
  void pool
    .stop({ graceMs: 0, abortWaitMs: 1000 })
    .then(() => Promise.all([queue.close(), recorder.quit()]))
    .finally(() => process.exit(0));
});
