/**
 * One worker process for bench/scaling.ts: a RedisJobQueue + WorkerPool
 * (concurrency 1) whose runner only waits JOB_MS (a stand-in for model turns)
 * and records which worker ran which job. Prints "ready" once it listens for
 * jobs; stops on SIGTERM.
 *
 * Environment: REDIS_URL, QUEUE_PREFIX, JOB_MS, WORKER_NAME.
 */
import { Redis } from "ioredis";
import { RedisJobQueue } from "../../src/queue/redis-job-queue.js";
import { WorkerPool } from "../../src/queue/worker-pool.js";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = process.env.QUEUE_PREFIX ?? "";
const jobMs = Number(process.env.JOB_MS ?? 1000);
const name = process.env.WORKER_NAME ?? String(process.pid);

const recorder = new Redis(url);
const queue = await RedisJobQueue.connect({ url, prefix });
const pool = new WorkerPool({
  queue,
  concurrency: 1,
  workerId: name,
  run: async (job) => {
    await recorder.rpush(`{${prefix}}:bench:runs`, `${job.id} ${name}`);
    await new Promise((resolve) => setTimeout(resolve, jobMs));
    return { state: "succeeded", message: "scripted run" };
  },
});
queue.onEnqueued(() => pool.notify());
pool.start();
process.stdout.write("ready\n");

process.once("SIGTERM", () => {
  void (async () => {
    await pool.stop({ graceMs: 5000 });
    await queue.close();
    await recorder.quit();
    process.exit(0);
  })();
});
