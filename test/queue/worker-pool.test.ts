import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Context } from "probot";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { dedupeKeyFor, serialKeyFor } from "../../src/queue/job.js";
import type { Job } from "../../src/queue/job.js";
import type { EnqueueRequest, EnqueueResult, JobOutcome, JobQueue, LeaseStatus } from "../../src/queue/job-queue.js";
import { SqliteJobQueue } from "../../src/queue/sqlite-job-queue.js";
import { JobAbortedError, WorkerPool } from "../../src/queue/worker-pool.js";
import type { JobRunner, PoolLogger, WorkerPoolOptions } from "../../src/queue/worker-pool.js";
import { makeJobSpec } from "../helpers/job-spec.js";

/** Polls until `condition` holds; fails with `what` after `timeoutMs`. */
async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function requestFor(issueNumber: number): EnqueueRequest {
  const deliveryId = `delivery-${issueNumber}`;
  const spec = makeJobSpec({ issueNumber, deliveryId });
  return { spec, deliveryId, dedupeKey: dedupeKeyFor(spec.repository.fullName, issueNumber, spec.agent) };
}

/** A gate a runner waits on until the test opens it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

interface LogEntry {
  level: keyof PoolLogger;
  msg: string;
  obj: object | undefined;
}

function recordingLogger(): PoolLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: keyof PoolLogger) =>
    (objOrMsg: object | string, msg?: string): void => {
      if (typeof objOrMsg === "string") entries.push({ level, msg: objOrMsg, obj: undefined });
      else entries.push({ level, msg: msg ?? "", obj: objOrMsg });
    };
  return { entries, info: at("info"), warn: at("warn"), error: at("error"), debug: at("debug") };
}

describe("WorkerPool", () => {
  let dir: string;
  let path: string;
  let queue: SqliteJobQueue;
  const pools: WorkerPool[] = [];
  const extraQueues: SqliteJobQueue[] = [];

  const startPool = (options: Partial<WorkerPoolOptions> & { run: JobRunner }): WorkerPool => {
    const pool = new WorkerPool({ queue, concurrency: 1, leaseMs: 300, pollMs: 20, ...options });
    pools.push(pool);
    pool.start();
    return pool;
  };

  const enqueue = async (issueNumber: number): Promise<Job> => {
    const result = await queue.enqueue(requestFor(issueNumber));
    expect(result.outcome).toBe("enqueued");
    return result.job;
  };

  const stateOf = async (job: Job): Promise<Job> => {
    const current = await queue.get(job.id);
    if (!current) throw new Error(`job ${job.id} disappeared`);
    return current;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "planwright-pool-"));
    path = join(dir, "jobs.db");
    queue = new SqliteJobQueue({ path });
  });

  afterEach(async () => {
    for (const pool of pools.splice(0)) await pool.stop({ graceMs: 0, abortWaitMs: 1000 });
    for (const other of extraQueues.splice(0)) await other.close();
    await queue.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("never runs more than `concurrency` jobs at once, and fills every slot", async () => {
    const concurrency = 3;
    const gates = new Map<string, ReturnType<typeof gate>>();
    const started: Job[] = [];
    let active = 0;
    let maxActive = 0;
    const pool = startPool({
      concurrency,
      run: async (job) => {
        const g = gate();
        gates.set(job.id, g);
        started.push(job);
        active++;
        maxActive = Math.max(maxActive, active);
        await g.opened;
        active--;
        return { state: "succeeded", message: `done ${job.spec.issueNumber}` };
      },
    });
    const jobs: Job[] = [];
    for (let issue = 1; issue <= 7; issue++) jobs.push(await enqueue(issue));
    pool.notify();

    await waitFor("every slot to be busy", () => started.length === concurrency);
    // Give an over-eager pool several poll intervals to start a fourth job.
    await pause(150);
    expect(started).toHaveLength(concurrency);

    while (started.length < jobs.length || active > 0) {
      const before = started.length;
      const waiting = [...gates.values()];
      for (const g of waiting) g.open();
      await waitFor("the next jobs to start or finish", () => started.length > before || active === 0);
    }
    await waitFor("all jobs to be recorded", async () =>
      (await Promise.all(jobs.map(stateOf))).every((j) => j.state === "succeeded"),
    );

    expect(maxActive).toBe(concurrency);
    expect(started.map((j) => j.id)).toEqual(jobs.map((j) => j.id));
    const workerIds = new Set(started.map((j) => j.workerId));
    expect(workerIds.size).toBe(concurrency);
    for (const id of workerIds) expect(id?.startsWith(`${pool.workerId}/`)).toBe(true);
    expect((await stateOf(jobs[6]!)).message).toBe("done 7");
  });

  it("never runs two jobs with one serial key at once, while other keys use the free slot", async () => {
    const threadA = serialKeyFor("octo-org/widgets", 9);
    const threadB = serialKeyFor("octo-org/widgets", 10);
    const active = new Map<string, number>();
    const maxActive = new Map<string, number>();
    let activeTotal = 0;
    let maxTotal = 0;
    const started: string[] = [];
    const threadBStarted = gate();
    let followUp: EnqueueResult | undefined;
    const requestOn = (issueNumber: number, agent: string, followUpRequest = false): EnqueueRequest => {
      const deliveryId = `delivery-${issueNumber}-${agent}-${followUpRequest ? "again" : "first"}`;
      const spec = makeJobSpec({ issueNumber, agent, deliveryId });
      return {
        spec,
        deliveryId,
        dedupeKey: dedupeKeyFor(spec.repository.fullName, issueNumber, agent),
        serialKey: serialKeyFor(spec.repository.fullName, issueNumber),
        followUp: followUpRequest,
      };
    };

    const pool = startPool({
      concurrency: 2,
      run: async (job) => {
        const key = job.serialKey ?? "none";
        started.push(job.id);
        active.set(key, (active.get(key) ?? 0) + 1);
        maxActive.set(key, Math.max(maxActive.get(key) ?? 0, active.get(key) ?? 0));
        activeTotal++;
        maxTotal = Math.max(maxTotal, activeTotal);
        if (key === threadB) threadBStarted.open();
        if (started.length === 1) {
          // Feedback on the thread arrives mid-run; and the first run lasts until
          // the other thread has started, so the pool provably had a free slot.
          followUp = await queue.enqueue(requestOn(9, "backend-engineer", true));
          await Promise.race([threadBStarted.opened, pause(2000)]);
        }
        await pause(15 + (started.length % 3) * 10);
        active.set(key, (active.get(key) ?? 0) - 1);
        activeTotal--;
        return { state: "succeeded", message: `done on ${key}` };
      },
    });
    const onA: Job[] = [];
    const onB: Job[] = [];
    for (const agent of ["backend-engineer", "frontend-engineer", "docs-engineer"]) {
      onA.push((await queue.enqueue(requestOn(9, agent))).job);
    }
    for (const agent of ["backend-engineer", "frontend-engineer"]) onB.push((await queue.enqueue(requestOn(10, agent))).job);
    pool.notify();

    await waitFor("the follow-up to be queued", () => followUp !== undefined);
    if (followUp?.outcome !== "queued-behind") throw new Error(`expected queued-behind, got ${followUp?.outcome}`);
    onA.push(followUp.job);
    const all = [...onA, ...onB];
    await waitFor("every job to succeed", async () =>
      (await Promise.all(all.map(stateOf))).every((j) => j.state === "succeeded"),
    );

    expect(maxActive.get(threadA)).toBe(1);
    expect(maxActive.get(threadB)).toBe(1);
    expect(maxTotal).toBe(2);
    expect(started).toHaveLength(all.length);
    // Each thread's jobs ran in the order they were queued, the follow-up last.
    expect(started.filter((id) => onA.some((j) => j.id === id))).toEqual(onA.map((j) => j.id));
    expect(started.filter((id) => onB.some((j) => j.id === id))).toEqual(onB.map((j) => j.id));
    // Attempts stay at 1: nothing was claimed twice or reclaimed.
    expect((await Promise.all(all.map(stateOf))).map((j) => j.attempts)).toEqual(all.map(() => 1));
  });

  it("starts a job right away on notify() instead of waiting for the poll", async () => {
    const pool = startPool({ pollMs: 60_000, run: async () => ({ state: "succeeded", message: "ok" }) });
    await pause(20); // let the slot find the queue empty and go to sleep

    const job = await enqueue(1);
    pool.notify();

    await waitFor("the job to succeed", async () => (await stateOf(job)).state === "succeeded", 3000);
  });

  it("keeps renewing the lease so a long job is not taken by another worker", async () => {
    // Renewed every 100ms, so the lease survives a 200ms stall of a busy test machine.
    const leaseMs = 300;
    const release = gate();
    let runs = 0;
    startPool({
      leaseMs,
      run: async () => {
        runs++;
        await release.opened;
        return { state: "succeeded", message: "ok" };
      },
    });
    const job = await enqueue(1);
    const thief = new SqliteJobQueue({ path });
    extraQueues.push(thief);
    await waitFor("the job to start", () => runs === 1);

    const until = Date.now() + leaseMs * 3;
    while (Date.now() < until) {
      expect(await thief.claim("thief", leaseMs)).toBeUndefined();
      await pause(10);
    }
    release.open();

    await waitFor("the job to succeed", async () => (await stateOf(job)).state === "succeeded");
    expect((await stateOf(job)).attempts).toBe(1);
    expect(runs).toBe(1);
  });

  it("aborts a cancelled job's signal promptly and records it as cancelled by whoever asked", async () => {
    let reason: unknown;
    let startedRunning = false;
    startPool({
      leaseMs: 150,
      run: async (_job, { signal }) => {
        startedRunning = true;
        await untilAborted(signal);
        reason = signal.reason;
        // Whatever the runner says, a cancelled run is recorded as cancelled.
        return { state: "failed", message: "interrupted" };
      },
    });
    const job = await enqueue(1);
    await waitFor("the job to start", () => startedRunning);

    const askedAt = Date.now();
    await queue.cancel(job.id, "octocat");
    await waitFor("the job to end", async () => (await stateOf(job)).state !== "running");

    expect(Date.now() - askedAt).toBeLessThan(2000);
    expect(await stateOf(job)).toMatchObject({ state: "cancelled", message: "stopped by @octocat" });
    expect(reason).toBeInstanceOf(JobAbortedError);
    expect(reason).toMatchObject({ kind: "cancelled", requestedBy: "octocat" });
    expect((reason as Error).message).toContain("@octocat");
  });

  it("records a throwing runner as failed with its message and keeps going", async () => {
    const log = recordingLogger();
    startPool({
      log,
      run: async (job) => {
        if (job.spec.issueNumber === 1) throw new Error("the agent crashed");
        return { state: "succeeded", message: "second one fine" };
      },
    });
    const first = await enqueue(1);
    const second = await enqueue(2);

    await waitFor("both jobs to finish", async () => (await stateOf(second)).state !== "queued" && (await stateOf(second)).state !== "running");

    expect(await stateOf(first)).toMatchObject({ state: "failed", message: "the agent crashed" });
    expect(await stateOf(second)).toMatchObject({ state: "succeeded", message: "second one fine" });
  });

  it("survives a queue that throws, logs it, and runs the job once the queue recovers", async () => {
    const log = recordingLogger();
    let failuresLeft = 2;
    const flaky = new Proxy(queue, {
      get(target, property, receiver) {
        if (property === "claim" && failuresLeft > 0) {
          return async () => {
            failuresLeft--;
            throw new Error("disk I/O error");
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    startPool({ queue: flaky, log, run: async () => ({ state: "succeeded", message: "ok" }) });
    const job = await enqueue(1);

    await waitFor("the job to succeed", async () => (await stateOf(job)).state === "succeeded");
    const errors = log.entries.filter((e) => e.level === "error");
    expect(errors).toHaveLength(2);
    expect(errors[0]?.obj).toMatchObject({ err: expect.objectContaining({ message: "disk I/O error" }) });
  });

  it("keeps working when the logger itself throws", async () => {
    const broken = (): void => {
      throw new Error("log transport is gone");
    };
    startPool({
      log: { info: broken, warn: broken, error: broken, debug: broken },
      run: async (job) => {
        if (job.spec.issueNumber === 1) throw new Error("runner failed too");
        return { state: "succeeded", message: "ok" };
      },
    });
    const first = await enqueue(1);
    const second = await enqueue(2);

    await waitFor("the second job to succeed", async () => (await stateOf(second)).state === "succeeded");
    expect(await stateOf(first)).toMatchObject({ state: "failed", message: "runner failed too" });
  });

  it("aborts but does not record a job whose lease another worker took", async () => {
    const log = recordingLogger();
    let reason: unknown;
    let startedRunning = false;
    let finishCalls = 0;
    const counting = new Proxy(queue, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (property === "finish") finishCalls++;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    startPool({
      queue: counting,
      log,
      leaseMs: 150,
      run: async (_job, { signal }) => {
        startedRunning = true;
        await untilAborted(signal);
        reason = signal.reason;
        return { state: "succeeded", message: "should not be recorded" };
      },
    });
    const job = await enqueue(1);
    await waitFor("the job to start", () => startedRunning);
    // A worker whose clock is ahead sees the lease as expired and takes the job.
    const thief = new SqliteJobQueue({ path, now: () => Date.now() + 10 * 60_000 });
    extraQueues.push(thief);
    expect((await thief.claim("thief", 60_000))?.id).toBe(job.id);

    await waitFor("the pool to give the job up", () =>
      log.entries.some((e) => e.msg === "job stopped without recording an outcome"),
    );

    expect(reason).toMatchObject({ kind: "lease-lost" });
    expect(finishCalls).toBe(0);
    expect(await stateOf(job)).toMatchObject({ state: "running", workerId: "thief", message: null });
  });

  describe("stop", () => {
    it("waits for a running job within the grace period and claims nothing new", async () => {
      const release = gate();
      let signalSeen: AbortSignal | undefined;
      const pool = startPool({
        run: async (job, { signal }) => {
          signalSeen = signal;
          if (job.spec.issueNumber === 1) await release.opened;
          return { state: "succeeded", message: `finished ${job.spec.issueNumber}` };
        },
      });
      const running = await enqueue(1);
      await waitFor("the job to start", () => signalSeen !== undefined);

      let stopped = false;
      const stopping = pool.stop({ graceMs: 10_000 }).then(() => {
        stopped = true;
      });
      const waiting = await enqueue(2);
      pool.notify();
      await pause(100);
      expect(stopped).toBe(false);

      release.open();
      await stopping;

      expect(await stateOf(running)).toMatchObject({ state: "succeeded", message: "finished 1" });
      expect(signalSeen?.aborted).toBe(false);
      expect((await stateOf(waiting)).state).toBe("queued");
    });

    it("aborts a running job when the grace period is zero and hands it back for the next worker", async () => {
      let reason: unknown;
      let startedRunning = false;
      const pool = startPool({
        run: async (_job, { signal }) => {
          startedRunning = true;
          await untilAborted(signal);
          reason = signal.reason;
          return { state: "failed", message: "interrupted" };
        },
      });
      const job = await enqueue(1);
      await waitFor("the job to start", () => startedRunning);

      await pool.stop({ graceMs: 0 });

      expect(reason).toBeInstanceOf(JobAbortedError);
      expect(reason).toMatchObject({ kind: "shutdown" });
      // Not failed, and not left to wait out its lease plus the 15 s retry delay:
      // handed back, with the interrupted claim not counted.
      expect(await stateOf(job)).toMatchObject({ state: "running", workerId: null, attempts: 0, message: null });

      startPool({ run: async () => ({ state: "succeeded", message: "done by the next worker" }) });
      await waitFor("the next worker to finish it", async () => (await stateOf(job)).state === "succeeded");
      expect(await stateOf(job)).toMatchObject({ attempts: 1, message: "done by the next worker" });
    });
  });

  describe("idle", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it("polls an empty queue once per interval per slot instead of spinning", async () => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
      let claims = 0;
      const empty: JobQueue = {
        claim: async () => {
          claims++;
          // A spinning pool would starve the event loop and hang the test; park it instead so the assertion below fails.
          if (claims > 100) await new Promise<never>(() => {});
          return undefined;
        },
        enqueue: async (): Promise<EnqueueResult> => unused(),
        renewLease: async (): Promise<LeaseStatus> => unused(),
        finish: async (): Promise<Job | undefined> => unused(),
        release: async (): Promise<Job | undefined> => unused(),
        prune: async (): Promise<number> => unused(),
        cancel: async (): Promise<Job | undefined> => unused(),
        get: async (): Promise<Job | undefined> => unused(),
        findActive: async (): Promise<Job | undefined> => unused(),
        findActiveAll: async (): Promise<Job[]> => unused(),
        listActiveBySerialKey: async (): Promise<Job[]> => unused(),
        setTrackingComment: async (): Promise<void> => unused(),
        onRetired: () => unused(),
        close: async (): Promise<void> => {},
      };
      const pool = startPool({ queue: empty, concurrency: 2, pollMs: 100, run: async (): Promise<JobOutcome> => unused() });

      await vi.advanceTimersByTimeAsync(1000);

      // One claim at start, then one per 100ms, for each of the two slots.
      expect(claims).toBeGreaterThanOrEqual(2 * 10);
      expect(claims).toBeLessThanOrEqual(2 * 11);
      vi.useRealTimers();
      await pool.stop({ graceMs: 0, abortWaitMs: 0 });
    });
  });

  it("accepts Probot's pino logger", () => {
    expectTypeOf<Context["log"]>().toExtend<PoolLogger>();
  });
});

function unused(): never {
  throw new Error("not used by this test");
}
