/**
 * Queue throughput: N jobs enqueued, then claimed and finished one at a time,
 * for the embedded SQLite queue (a file in a temp directory) and the Redis
 * queue (127.0.0.1:6379, a unique key prefix deleted afterwards), in one
 * process, side by side.
 *
 *   npx tsx bench/queue-throughput.ts        (N=2000 by default; JOBS=… to change)
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { dedupeKeyFor } from "../src/queue/job.js";
import type { EnqueueRequest, JobQueue } from "../src/queue/job-queue.js";
import { RedisJobQueue } from "../src/queue/redis-job-queue.js";
import { redisQueueKeyPattern } from "../src/queue/redis-keys.js";
import { SqliteJobQueue } from "../src/queue/sqlite-job-queue.js";
import { makeJobSpec } from "../test/helpers/job-spec.js";

const N = Number(process.env.JOBS ?? 2000);
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

function request(i: number, run: string): EnqueueRequest {
  const deliveryId = `bench-${run}-${i}`;
  const spec = makeJobSpec({ issueNumber: i + 1, deliveryId });
  return { spec, deliveryId, dedupeKey: dedupeKeyFor(spec.repository.fullName, i + 1, spec.agent), serialKey: `octo-org/widgets#${i + 1}` };
}

interface Result {
  enqueueMs: number;
  drainMs: number;
}

async function measure(queue: JobQueue): Promise<Result> {
  const run = randomUUID().slice(0, 8);
  const requests = Array.from({ length: N }, (_, i) => request(i, run));
  const t0 = performance.now();
  for (const r of requests) {
    const result = await queue.enqueue(r);
    if (result.outcome !== "enqueued") throw new Error(`enqueue ${r.deliveryId}: ${result.outcome}`);
  }
  const t1 = performance.now();
  let done = 0;
  for (;;) {
    const job = await queue.claim("bench-worker", 60_000);
    if (!job) break;
    await queue.finish(job.id, "bench-worker", { state: "succeeded", message: "ok" });
    done++;
  }
  const t2 = performance.now();
  if (done !== N) throw new Error(`claimed ${done} of ${N} jobs`);
  return { enqueueMs: t1 - t0, drainMs: t2 - t1 };
}

async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", redisQueueKeyPattern(prefix), "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

function line(name: string, r: Result): string {
  const total = r.enqueueMs + r.drainMs;
  return (
    `${name.padEnd(8)} enqueue ${Math.round(r.enqueueMs).toString().padStart(6)} ms (${Math.round((N * 1000) / r.enqueueMs)} jobs/s) · ` +
    `claim+finish ${Math.round(r.drainMs).toString().padStart(6)} ms (${Math.round((N * 1000) / r.drainMs)} jobs/s) · ` +
    `end to end ${Math.round((N * 1000) / total)} jobs/s`
  );
}

async function main(): Promise<void> {
  console.log(`queue throughput · ${N} jobs, enqueue → claim → finish, one process · ${new Date().toISOString().slice(0, 10)} · ${os.cpus().length} CPUs · node ${process.version}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), "pw-bench-queue-"));
  const prefix = `planwright-bench:queue:${randomUUID().slice(0, 8)}`;
  let sqlite: Result;
  let redis: Result;
  try {
    const sq = new SqliteJobQueue({ path: path.join(dir, "queue.db") });
    try {
      sqlite = await measure(sq);
    } finally {
      await sq.close();
    }
    const rq = await RedisJobQueue.connect({ url: REDIS_URL, prefix, subscribe: false });
    try {
      redis = await measure(rq);
    } finally {
      await rq.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await deleteKeys(prefix);
  }
  console.log(line("sqlite", sqlite));
  console.log(line("redis", redis));
  const total = (r: Result) => r.enqueueMs + r.drainMs;
  console.log("");
  console.log(`redis / sqlite throughput: enqueue ${(sqlite.enqueueMs / redis.enqueueMs).toFixed(2)}x · claim+finish ${(sqlite.drainMs / redis.drainMs).toFixed(2)}x · end to end ${(total(sqlite) / total(redis)).toFixed(2)}x`);
}

await main();
