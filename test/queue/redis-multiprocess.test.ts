import { Redis } from "ioredis";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { dedupeKeyFor } from "../../src/queue/job.js";
import type { Job } from "../../src/queue/job.js";
import type { EnqueueRequest } from "../../src/queue/job-queue.js";
import { RedisJobQueue } from "../../src/queue/redis-job-queue.js";
import { makeJobSpec } from "../helpers/job-spec.js";
import { deleteQueueKeys, requireRedis, TEST_REDIS_URL, uniquePrefix, waitFor } from "./redis-harness.js";
import { childRecordKeys, parseRecords, startWorkerProcess } from "./redis-worker-records.js";
import type { WorkerProcess } from "./redis-worker-records.js";

/**
 * Worker pools in separate processes sharing one Redis queue, as workers on
 * separate machines would. The processes keep real time (Redis's clock), so
 * every wait here is a condition with a deadline, never a bare sleep.
 */

beforeAll(requireRedis);

function requestFor(issueNumber: number): EnqueueRequest {
  const deliveryId = `delivery-${issueNumber}-${Math.random().toString(36).slice(2)}`;
  const spec = makeJobSpec({ issueNumber, deliveryId });
  return { spec, deliveryId, dedupeKey: dedupeKeyFor(spec.repository.fullName, issueNumber, spec.agent) };
}

describe("RedisJobQueue across processes", () => {
  let prefix: string;
  let queue: RedisJobQueue;
  let redis: Redis;
  const workers: WorkerProcess[] = [];

  const start = async (env: Record<string, string>): Promise<WorkerProcess> => {
    const worker = await startWorkerProcess({ REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, ...env });
    workers.push(worker);
    return worker;
  };
  const records = async (list: "started" | "finished" | "aborted") =>
    parseRecords(await redis.lrange(childRecordKeys(prefix)[list], 0, -1));

  const setUp = async (options: { maxAttempts?: number } = {}): Promise<void> => {
    prefix = uniquePrefix("procs");
    queue = await RedisJobQueue.connect({ url: TEST_REDIS_URL, prefix, retryBackoff: { baseMs: 200, maxMs: 200 }, ...options });
    redis = new Redis(TEST_REDIS_URL);
  };

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.kill("SIGKILL")));
    await queue?.close();
    redis?.disconnect();
    if (prefix) await deleteQueueKeys(prefix);
  });

  it("runs every job exactly once across two worker processes, and both take part", async () => {
    await setUp();
    // Polling off: only the enqueue event can wake an idle slot in time.
    const env = { MODE: "gate", CONCURRENCY: "2", POLL_MS: "60000" };
    const [a, b] = [await start(env), await start(env)];
    const jobs: Job[] = [];
    for (let issue = 1; issue <= 12; issue++) jobs.push((await queue.enqueue(requestFor(issue))).job);

    // Four slots in all, two per process: four jobs running at once means both processes hold two.
    const firstWave = await waitFor("four jobs running at once", async () => {
      const started = await records("started");
      return started.length >= 4 ? started : undefined;
    });
    expect(new Set(firstWave.slice(0, 4).map((r) => r.workerId))).toEqual(new Set([a!.workerId, b!.workerId]));
    await redis.set(childRecordKeys(prefix).gate, "open");

    await waitFor("every job to succeed", async () => {
      const states = await Promise.all(jobs.map(async (job) => (await queue.get(job.id))?.state));
      return states.every((state) => state === "succeeded") ? true : undefined;
    });
    const started = await records("started");
    const finished = await records("finished");
    expect(started.map((r) => r.jobId).sort()).toEqual(jobs.map((job) => job.id).sort());
    expect(finished.map((r) => r.jobId).sort()).toEqual(jobs.map((job) => job.id).sort());
    for (const job of jobs) expect((await queue.get(job.id))?.attempts).toBe(1);
  });

  it("hands a SIGKILLed worker's job to the other process once the lease lapses", async () => {
    await setUp();
    const env = { MODE: "hang-first-attempt", LEASE_MS: "1000", POLL_MS: "100" };
    const [a, b] = [await start(env), await start(env)];
    const { job } = await queue.enqueue(requestFor(1));

    const first = await waitFor("the first attempt to start", async () => (await records("started"))[0]);
    const holder = first.workerId === a!.workerId ? a! : b!;
    const survivor = holder === a ? b! : a!;
    await holder.kill("SIGKILL");

    const done = await waitFor("the job to succeed elsewhere", async () => {
      const current = await queue.get(job.id);
      return current?.state === "succeeded" ? current : undefined;
    });
    expect(done).toMatchObject({ attempts: 2, message: `done by ${survivor.workerId}` });
    expect(done.workerId).toMatch(new RegExp(`^${survivor.workerId}/`));
    expect((await records("started")).map((r) => [r.workerId, r.value])).toEqual([
      [holder.workerId, 1],
      [survivor.workerId, 2],
    ]);
  });

  it("delivers a stop to a job running in another process within a second, long before any lease renewal", async () => {
    await setUp();
    // Renewal every 20 s: only the cancel event can explain a stop within a second.
    const worker = await start({ MODE: "until-stopped", LEASE_MS: "60000", POLL_MS: "100" });
    const { job } = await queue.enqueue(requestFor(1));
    await waitFor("the job to start", async () => (await records("started"))[0]);

    const asked = Date.now();
    await queue.cancel(job.id, "octocat");
    const ended = await waitFor(
      "the job to end as cancelled",
      async () => {
        const current = await queue.get(job.id);
        return current?.state === "cancelled" ? current : undefined;
      },
      5000,
    );

    const [aborted] = await records("aborted");
    expect(aborted?.workerId).toBe(worker.workerId);
    expect(aborted!.value - asked).toBeLessThan(1000);
    expect(ended).toMatchObject({ message: "stopped by @octocat", cancelRequestedBy: "octocat", attempts: 1 });
  });

  it("fails a job whose worker process died on every attempt, with the embedded queue's message", async () => {
    await setUp({ maxAttempts: 2 });
    const env = { MODE: "until-stopped", LEASE_MS: "600", POLL_MS: "100", MAX_ATTEMPTS: "2" };
    const { job } = await queue.enqueue(requestFor(1));

    for (let attempt = 1; attempt <= 2; attempt++) {
      const worker = await start(env);
      await waitFor(`attempt ${attempt} to start`, async () =>
        (await records("started")).find((r) => r.value === attempt && r.workerId === worker.workerId),
      );
      await worker.kill("SIGKILL");
    }

    // Any claim after the last lease lapsed retires the job instead of handing it out a third time.
    const failed = await waitFor("the job to be failed", async () => {
      expect(await queue.claim("observer", 60_000)).toBeUndefined();
      const current = await queue.get(job.id);
      return current?.state === "failed" ? current : undefined;
    });
    expect(failed).toMatchObject({ attempts: 2, leaseExpiresAt: null });
    expect(failed.message).toBe(
      "a worker took this job 2 times and stopped responding each time (crash or restart); " +
        "look at the worker logs, then trigger it again",
    );
    expect(await records("started")).toHaveLength(2);
  });
});
