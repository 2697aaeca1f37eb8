/**
 * Scaling: N jobs whose runner only waits a fixed time (a stand-in for model
 * turns), run by one worker process and then by two (each concurrency 1)
 * sharing the Redis queue (127.0.0.1:6379, a unique key prefix deleted
 * afterwards). Prints the wall time of each and the speed-up, and checks that
 * no job ran twice.
 *
 *   npx tsx bench/scaling.ts        (JOBS=12, JOB_MS=1000 by default)
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { dedupeKeyFor } from "../src/queue/job.js";
import { RedisJobQueue } from "../src/queue/redis-job-queue.js";
import { redisQueueKeyPattern } from "../src/queue/redis-keys.js";
import { makeJobSpec } from "../test/helpers/job-spec.js";

const N = Number(process.env.JOBS ?? 12);
const JOB_MS = Number(process.env.JOB_MS ?? 1000);
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const CHILD = fileURLToPath(new URL("./lib/scaling-worker.ts", import.meta.url));

async function startWorker(prefix: string, name: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD], {
    env: { ...process.env, REDIS_URL, QUEUE_PREFIX: prefix, JOB_MS: String(JOB_MS), WORKER_NAME: name },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`worker ${name} exited with ${code} before it was ready`)));
  });
  return child;
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  await exited;
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

interface Result {
  wallMs: number;
  runs: number;
  duplicates: number;
  perWorker: Map<string, number>;
}

async function measure(workers: number): Promise<Result> {
  const prefix = `planwright-bench:scaling:${randomUUID().slice(0, 8)}`;
  const children: ChildProcess[] = [];
  const queue = await RedisJobQueue.connect({ url: REDIS_URL, prefix, subscribe: false });
  const redis = new Redis(REDIS_URL);
  try {
    for (let w = 0; w < workers; w++) children.push(await startWorker(prefix, `worker-${w + 1}`));
    const ids: string[] = [];
    const started = performance.now();
    for (let i = 0; i < N; i++) {
      const deliveryId = `bench-${prefix}-${i}`;
      const spec = makeJobSpec({ issueNumber: i + 1, deliveryId });
      const result = await queue.enqueue({ spec, deliveryId, dedupeKey: dedupeKeyFor(spec.repository.fullName, i + 1, spec.agent) });
      ids.push(result.job.id);
    }
    const deadline = Date.now() + 120_000;
    for (;;) {
      const jobs = await Promise.all(ids.map((id) => queue.get(id)));
      if (jobs.every((j) => j?.state === "succeeded")) break;
      if (Date.now() > deadline) throw new Error(`not all jobs finished: ${jobs.map((j) => j?.state).join(", ")}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const wallMs = performance.now() - started;
    const records = await redis.lrange(`{${prefix}}:bench:runs`, 0, -1);
    const seen = new Set<string>();
    const perWorker = new Map<string, number>();
    let duplicates = 0;
    for (const record of records) {
      const [id, name] = record.split(" ");
      if (seen.has(id!)) duplicates++;
      seen.add(id!);
      perWorker.set(name!, (perWorker.get(name!) ?? 0) + 1);
    }
    return { wallMs, runs: records.length, duplicates, perWorker };
  } finally {
    for (const child of children) await stopWorker(child);
    await queue.close();
    redis.disconnect();
    await deleteKeys(prefix);
  }
}

async function main(): Promise<void> {
  console.log(
    `scaling · ${N} jobs × ${JOB_MS} ms, Redis queue, worker processes of concurrency 1 · ${new Date().toISOString().slice(0, 10)} · ${os.cpus().length} CPUs · node ${process.version}`,
  );
  const results = new Map<number, Result>();
  for (const workers of [1, 2]) {
    const r = await measure(workers);
    results.set(workers, r);
    const split = [...r.perWorker.entries()].map(([name, count]) => `${name} ${count}`).join(", ");
    console.log(
      `${workers} worker${workers > 1 ? "s" : " "}: wall ${Math.round(r.wallMs)} ms (ideal ${Math.ceil(N / workers) * JOB_MS} ms) · ${r.runs} runs, ${r.duplicates} ran twice · ${split}`,
    );
  }
  const one = results.get(1)!;
  const two = results.get(2)!;
  console.log("");
  console.log(`speed-up, 2 workers vs 1: ${(one.wallMs / two.wallMs).toFixed(2)}x (ideal 2.00x)`);
  const ok = [one, two].every((r) => r.duplicates === 0 && r.runs === N);
  console.log(ok ? "every job ran exactly once" : "SOME JOB RAN TWICE OR NOT AT ALL");
  if (!ok) process.exitCode = 1;
}

await main();
