import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dedupeKeyFor, serialKeyFor } from "../../src/queue/job.js";
import type { Job, JobSpec } from "../../src/queue/job.js";
import { retryDelayMs } from "../../src/queue/job-queue.js";
import type { EnqueueRequest, JobQueue, RetryBackoff } from "../../src/queue/job-queue.js";
import { makeJobSpec } from "../helpers/job-spec.js";

export interface JobQueueHarness {
  queue: JobQueue;
  /**
   * Opens another handle on the same storage, as a second process would. It
   * must not close `queue`; the suite closes what it needs to. Tests that need
   * it are skipped when it is absent.
   */
  reopen?: () => Promise<JobQueue>;
  /** Closes every handle the harness opened (some may already be closed) and deletes the storage. */
  cleanup: () => Promise<void>;
}

/** What the suite hands each backend: the backend must read time only from `now`. */
export interface JobQueueHarnessOptions {
  now: () => number;
  maxAttempts: number;
  retryBackoff: RetryBackoff;
}

const LEASE_MS = 30_000;
const MAX_ATTEMPTS = 3;
/** Most of the suite is about ordering, not waiting: no retry delay unless a test asks for one. */
const NO_BACKOFF: RetryBackoff = { baseMs: 0, maxMs: 0 };
const BACKOFF: RetryBackoff = { baseMs: 10_000, maxMs: 25_000 };

interface RequestOptions {
  deliveryId?: string;
  agent?: string;
  /** `true`: the thread's own serial key (`octo-org/widgets#<issue>`); a string: that key. */
  serial?: true | string;
  followUp?: boolean;
}

/** Same issue + agent ⇒ same dedupe key; a distinct delivery id unless one is given. */
function requestFor(issueNumber: number, options: RequestOptions = {}): EnqueueRequest {
  const deliveryId = options.deliveryId ?? `delivery-${issueNumber}-${Math.random().toString(36).slice(2)}`;
  const spec: JobSpec = makeJobSpec({ issueNumber, deliveryId, ...(options.agent ? { agent: options.agent } : {}) });
  const request: EnqueueRequest = {
    spec,
    deliveryId,
    dedupeKey: dedupeKeyFor(spec.repository.fullName, issueNumber, spec.agent),
  };
  if (options.serial !== undefined) {
    request.serialKey = options.serial === true ? serialKeyFor(spec.repository.fullName, issueNumber) : options.serial;
  }
  if (options.followUp !== undefined) request.followUp = options.followUp;
  return request;
}

/** Two agents on one pull request: different dedupe keys, one serial key. */
const BACKEND = "backend-engineer";
const FRONTEND = "frontend-engineer";

/**
 * Behaviour every `JobQueue` backend must have. Run it from a backend's test
 * file with a factory that builds a fresh, empty queue each time.
 */
export function describeJobQueueContract(
  name: string,
  factory: (options: JobQueueHarnessOptions) => Promise<JobQueueHarness>,
): void {
  describe(`JobQueue contract: ${name}`, () => {
    let time: number;
    let harness: JobQueueHarness;
    let queue: JobQueue;
    const advance = (ms: number): void => {
      time += ms;
    };

    beforeEach(async () => {
      time = 1_700_000_000_000;
      harness = await factory({ now: () => time, maxAttempts: MAX_ATTEMPTS, retryBackoff: NO_BACKOFF });
      queue = harness.queue;
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    describe("enqueue and claim", () => {
      it("stores a new job as queued with its spec intact", async () => {
        const request = requestFor(7);
        const result = await queue.enqueue(request);

        expect(result.outcome).toBe("enqueued");
        expect(result.job).toMatchObject({
          state: "queued",
          dedupeKey: request.dedupeKey,
          attempts: 0,
          createdAt: time,
          startedAt: null,
          finishedAt: null,
          workerId: null,
          leaseExpiresAt: null,
          cancelRequestedBy: null,
          message: null,
        });
        expect(result.job.spec).toEqual(request.spec);
        expect(await queue.get(result.job.id)).toEqual(result.job);
      });

      it("hands out jobs oldest first, one claim each, then nothing", async () => {
        const first = await queue.enqueue(requestFor(1));
        const second = await queue.enqueue(requestFor(2)); // same millisecond as the first
        advance(10);
        const third = await queue.enqueue(requestFor(3));

        const claimed = [
          await queue.claim("worker-a", LEASE_MS),
          await queue.claim("worker-b", LEASE_MS),
          await queue.claim("worker-a", LEASE_MS),
        ];
        expect(claimed.map((job) => job?.id)).toEqual([first.job.id, second.job.id, third.job.id]);
        expect(await queue.claim("worker-c", LEASE_MS)).toBeUndefined();
      });

      it("marks a claimed job running and leased to the worker", async () => {
        const { job } = await queue.enqueue(requestFor(1));
        advance(500);

        const claimed = await queue.claim("worker-a", LEASE_MS);

        expect(claimed).toMatchObject({
          id: job.id,
          state: "running",
          attempts: 1,
          workerId: "worker-a",
          startedAt: time,
          leaseExpiresAt: time + LEASE_MS,
        });
        expect(await queue.get(job.id)).toEqual(claimed);
      });

      it("does not hand a job with a live lease to another worker", async () => {
        await queue.enqueue(requestFor(1));
        await queue.claim("worker-a", LEASE_MS);
        advance(LEASE_MS - 1);

        expect(await queue.claim("worker-b", LEASE_MS)).toBeUndefined();
      });
    });

    describe("deduplication", () => {
      it("makes one job for a delivery seen twice, even after that job finished", async () => {
        const request = requestFor(5, { deliveryId: "same-delivery" });
        const first = await queue.enqueue(request);
        const again = await queue.enqueue(request);
        expect(again).toEqual({ outcome: "duplicate-delivery", job: first.job });

        await queue.claim("worker-a", LEASE_MS);
        await queue.finish(first.job.id, "worker-a", { state: "succeeded", message: "done" });
        const afterFinish = await queue.enqueue(request);
        expect(afterFinish.outcome).toBe("duplicate-delivery");
        expect(afterFinish.job).toMatchObject({ id: first.job.id, state: "succeeded" });
      });

      it("refuses a second job for the same key while the first is queued", async () => {
        const first = await queue.enqueue(requestFor(9));
        const second = await queue.enqueue(requestFor(9));

        expect(second).toEqual({ outcome: "already-active", job: first.job });
        expect(await queue.findActive(first.job.dedupeKey)).toEqual(first.job);
      });

      it("refuses a second job for the same key while the first is running", async () => {
        const first = await queue.enqueue(requestFor(9));
        await queue.claim("worker-a", LEASE_MS);

        const second = await queue.enqueue(requestFor(9));

        expect(second.outcome).toBe("already-active");
        expect(second.job).toMatchObject({ id: first.job.id, state: "running" });
      });

      it("accepts a new job for the key once the first finished", async () => {
        const first = await queue.enqueue(requestFor(9));
        await queue.claim("worker-a", LEASE_MS);
        await queue.finish(first.job.id, "worker-a", { state: "failed", message: "tests failed" });

        const next = await queue.enqueue(requestFor(9));

        expect(next.outcome).toBe("enqueued");
        expect(next.job.id).not.toBe(first.job.id);
        expect((await queue.findActive(first.job.dedupeKey))?.id).toBe(next.job.id);
      });

      it("keeps different agents on the same issue apart", async () => {
        const backend = await queue.enqueue(requestFor(9, { agent: "backend-engineer" }));
        const frontend = await queue.enqueue(requestFor(9, { agent: "frontend-engineer" }));

        expect(backend.outcome).toBe("enqueued");
        expect(frontend.outcome).toBe("enqueued");
        expect(frontend.job.id).not.toBe(backend.job.id);
      });

      it("makes exactly one job when two handles enqueue the same key at once", async (ctx) => {
        if (!harness.reopen) return ctx.skip();
        const other = await harness.reopen();
        const handles = [queue, other];

        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) => handles[i % 2]!.enqueue(requestFor(11))),
        );

        const enqueued = results.filter((r) => r.outcome === "enqueued");
        expect(enqueued).toHaveLength(1);
        const winner = enqueued[0]!.job.id;
        expect(results.filter((r) => r.outcome === "already-active").every((r) => r.job.id === winner)).toBe(true);
        expect((await other.findActive(dedupeKeyFor("octo-org/widgets", 11, "backend-engineer")))?.id).toBe(winner);
      });

      it("makes exactly one job when two handles get the same delivery at once", async (ctx) => {
        if (!harness.reopen) return ctx.skip();
        const other = await harness.reopen();
        const request = requestFor(12, { deliveryId: "redelivered" });

        const results = await Promise.all([queue.enqueue(request), other.enqueue(request)]);

        expect(results.map((r) => r.outcome).sort()).toEqual(["duplicate-delivery", "enqueued"]);
        expect(results[0]!.job.id).toBe(results[1]!.job.id);
      });
    });

    describe("durability", () => {
      it("keeps queued and running jobs across close and reopen, and reclaims an abandoned one", async (ctx) => {
        if (!harness.reopen) return ctx.skip();
        const abandoned = await queue.enqueue(requestFor(1));
        const waiting = await queue.enqueue(requestFor(2));
        await queue.claim("worker-that-dies", LEASE_MS);
        await queue.close();

        const reopened = await harness.reopen();
        expect(await reopened.get(waiting.job.id)).toEqual(waiting.job);
        expect(await reopened.get(abandoned.job.id)).toMatchObject({ state: "running", workerId: "worker-that-dies" });

        advance(LEASE_MS);
        const reclaimed = await reopened.claim("worker-b", LEASE_MS);
        expect(reclaimed).toMatchObject({ id: abandoned.job.id, attempts: 2, workerId: "worker-b" });
        expect(reclaimed?.spec).toEqual(abandoned.job.spec);
        expect((await reopened.claim("worker-b", LEASE_MS))?.id).toBe(waiting.job.id);
      });

      it("keeps serial keys and follow-ups across close and reopen, still holding the waiting jobs back", async (ctx) => {
        if (!harness.reopen) return ctx.skip();
        const first = await queue.enqueue(requestFor(9, { agent: BACKEND, serial: true }));
        const sameThread = await queue.enqueue(requestFor(9, { agent: FRONTEND, serial: true }));
        await queue.claim("worker-a", LEASE_MS);
        const followUp = await queue.enqueue(requestFor(9, { agent: BACKEND, serial: true, followUp: true }));
        await queue.close();

        const reopened = await harness.reopen();
        expect(await reopened.get(sameThread.job.id)).toEqual(sameThread.job);
        expect(await reopened.get(followUp.job.id)).toEqual(followUp.job);
        expect((await reopened.listActiveBySerialKey("octo-org/widgets#9")).map((job) => job.id)).toEqual([
          first.job.id,
          sameThread.job.id,
          followUp.job.id,
        ]);
        expect(await reopened.claim("worker-b", LEASE_MS)).toBeUndefined();

        await reopened.finish(first.job.id, "worker-a", { state: "succeeded", message: "done" });
        expect(await reopened.claim("worker-b", LEASE_MS)).toMatchObject({ id: sameThread.job.id, serialKey: "octo-org/widgets#9" });
        expect(await reopened.claim("worker-c", LEASE_MS)).toBeUndefined();
      });
    });

    describe("serial keys", () => {
      it("stores the serial key, and null when none is given", async () => {
        const serial = await queue.enqueue(requestFor(9, { serial: true }));
        const plain = await queue.enqueue(requestFor(10));

        expect(serial.job.serialKey).toBe("octo-org/widgets#9");
        expect(plain.job.serialKey).toBeNull();
        expect(await queue.get(serial.job.id)).toEqual(serial.job);
        expect(await queue.get(plain.job.id)).toEqual(plain.job);
      });

      it("holds back a job while another with its serial key runs, and hands it out once that one finished", async () => {
        const first = await queue.enqueue(requestFor(9, { agent: BACKEND, serial: true }));
        const second = await queue.enqueue(requestFor(9, { agent: FRONTEND, serial: true }));
        expect(second.outcome).toBe("enqueued");

        expect((await queue.claim("worker-a", LEASE_MS))?.id).toBe(first.job.id);
        expect(await queue.claim("worker-b", LEASE_MS)).toBeUndefined();
        expect((await queue.get(second.job.id))?.state).toBe("queued");

        advance(1000);
        await queue.finish(first.job.id, "worker-a", { state: "failed", message: "tests failed" });

        expect(await queue.claim("worker-b", LEASE_MS)).toMatchObject({ id: second.job.id, attempts: 1, workerId: "worker-b" });
      });

      it("lets jobs with another serial key, or none, pass a held-back one", async () => {
        const first = await queue.enqueue(requestFor(9, { agent: BACKEND, serial: true }));
        const held = await queue.enqueue(requestFor(9, { agent: FRONTEND, serial: true }));
        const otherThread = await queue.enqueue(requestFor(10, { serial: true }));
        const unkeyed = await queue.enqueue(requestFor(11));

        const claimed = [
          await queue.claim("worker-a", LEASE_MS),
          await queue.claim("worker-b", LEASE_MS),
          await queue.claim("worker-c", LEASE_MS),
        ];
        expect(claimed.map((job) => job?.id)).toEqual([first.job.id, otherThread.job.id, unkeyed.job.id]);
        expect(await queue.claim("worker-d", LEASE_MS)).toBeUndefined();

        await queue.finish(first.job.id, "worker-a", { state: "succeeded", message: "done" });
        expect((await queue.claim("worker-d", LEASE_MS))?.id).toBe(held.job.id);
      });

      it("reclaims the expired first job rather than starting the one waiting behind it", async () => {
        const first = await queue.enqueue(requestFor(9, { agent: BACKEND, serial: true }));
        const second = await queue.enqueue(requestFor(9, { agent: FRONTEND, serial: true }));
        await queue.claim("worker-a", LEASE_MS);
        advance(LEASE_MS);

        expect(await queue.claim("worker-b", LEASE_MS)).toMatchObject({ id: first.job.id, attempts: 2, workerId: "worker-b" });
        // The reclaimed job holds a live lease again, so the second still waits.
        expect(await queue.claim("worker-c", LEASE_MS)).toBeUndefined();
        expect((await queue.get(second.job.id))?.state).toBe("queued");
      });

      it("reclaims an expired job before an older queued job with its serial key", async () => {
        // An older job can be queued behind a newer running one when its own
        // dedupe key was busy while the newer one started.
        const blocker = await queue.enqueue(requestFor(9, { agent: BACKEND, serial: "elsewhere" }));
        await queue.claim("worker-a", LEASE_MS);
        const older = await queue.enqueue(requestFor(9, { agent: BACKEND, serial: true, followUp: true }));
        expect(older.outcome).toBe("queued-behind");
        const newer = await queue.enqueue(requestFor(9, { agent: FRONTEND, serial: true }));
        expect((await queue.claim("worker-b", LEASE_MS))?.id).toBe(newer.job.id);
        await queue.finish(blocker.job.id, "worker-a", { state: "succeeded", message: "done" });
        expect(await queue.claim("worker-c", LEASE_MS)).toBeUndefined();

        advance(LEASE_MS);

        expect(await queue.claim("worker-c", LEASE_MS)).toMatchObject({ id: newer.job.id, attempts: 2 });
        expect((await queue.get(older.job.id))?.state).toBe("queued");
        // Running first even though the queued job is older.
        expect((await queue.listActiveBySerialKey("octo-org/widgets#9")).map((job) => job.id)).toEqual([
          newer.job.id,
          older.job.id,
        ]);
      });

      it("starts the next job with the serial key in the same claim that fails an exhausted one", async () => {
        const exhausted = await queue.enqueue(requestFor(9, { agent: BACKEND, serial: true }));
        const next = await queue.enqueue(requestFor(9, { agent: FRONTEND, serial: true }));
        for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
          expect((await queue.claim("worker-a", LEASE_MS))?.id).toBe(exhausted.job.id);
          advance(LEASE_MS);
        }

        expect((await queue.claim("worker-b", LEASE_MS))?.id).toBe(next.job.id);
        expect((await queue.get(exhausted.job.id))?.state).toBe("failed");
      });

      it("starts the next job with the serial key once a cancelled one's worker vanished", async () => {
        const cancelled = await queue.enqueue(requestFor(9, { agent: BACKEND, serial: true }));
        const next = await queue.enqueue(requestFor(9, { agent: FRONTEND, serial: true }));
        await queue.claim("worker-a", LEASE_MS);
        await queue.cancel(cancelled.job.id, "octocat");
        expect(await queue.claim("worker-b", LEASE_MS)).toBeUndefined();
        advance(LEASE_MS);

        expect((await queue.claim("worker-b", LEASE_MS))?.id).toBe(next.job.id);
        expect((await queue.get(cancelled.job.id))?.state).toBe("cancelled");
      });

      it("lists a serial key's active jobs, running first, then queued in claim order", async () => {
        const a = await queue.enqueue(requestFor(9, { agent: "a-engineer", serial: true }));
        const b = await queue.enqueue(requestFor(9, { agent: "b-engineer", serial: true }));
        advance(10);
        const c = await queue.enqueue(requestFor(9, { agent: "c-engineer", serial: true }));
        const d = await queue.enqueue(requestFor(9, { agent: "d-engineer", serial: true }));
        const e = await queue.enqueue(requestFor(9, { agent: "e-engineer", serial: true }));
        await queue.enqueue(requestFor(10, { serial: true }));
        await queue.enqueue(requestFor(9, { agent: "unkeyed-engineer" }));
        expect((await queue.claim("worker-a", LEASE_MS))?.id).toBe(a.job.id);
        await queue.finish(a.job.id, "worker-a", { state: "succeeded", message: "done" });
        expect((await queue.claim("worker-a", LEASE_MS))?.id).toBe(b.job.id);
        await queue.cancel(d.job.id, "octocat");

        const listed = await queue.listActiveBySerialKey(serialKeyFor("octo-org/widgets", 9));

        expect(listed.map((job) => [job.id, job.state])).toEqual([
          [b.job.id, "running"],
          [c.job.id, "queued"],
          [e.job.id, "queued"],
        ]);
        expect(await queue.listActiveBySerialKey("octo-org/widgets#404")).toEqual([]);
      });
    });

    describe("follow-ups", () => {
      it("queues a follow-up behind a running job and holds it until that one finished", async () => {
        const first = await queue.enqueue(requestFor(9, { serial: true }));
        const running = await queue.claim("worker-a", LEASE_MS);
        advance(5);

        const followUp = await queue.enqueue(requestFor(9, { serial: true, followUp: true }));

        expect(followUp.outcome).toBe("queued-behind");
        if (followUp.outcome !== "queued-behind") return;
        expect(followUp.running).toEqual(running);
        expect(followUp.job).toMatchObject({ state: "queued", dedupeKey: first.job.dedupeKey, serialKey: "octo-org/widgets#9", createdAt: time });
        expect(followUp.job.id).not.toBe(first.job.id);
        expect(await queue.get(followUp.job.id)).toEqual(followUp.job);

        expect(await queue.claim("worker-b", LEASE_MS)).toBeUndefined();
        await queue.finish(first.job.id, "worker-a", { state: "succeeded", message: "done" });
        expect((await queue.claim("worker-b", LEASE_MS))?.id).toBe(followUp.job.id);
      });

      it("holds a follow-up behind its running job even without a serial key", async () => {
        const first = await queue.enqueue(requestFor(9));
        await queue.claim("worker-a", LEASE_MS);
        const followUp = await queue.enqueue(requestFor(9, { followUp: true }));
        const other = await queue.enqueue(requestFor(10));
        expect(followUp.outcome).toBe("queued-behind");

        expect((await queue.claim("worker-b", LEASE_MS))?.id).toBe(other.job.id);
        expect(await queue.claim("worker-b", LEASE_MS)).toBeUndefined();

        await queue.finish(first.job.id, "worker-a", { state: "succeeded", message: "done" });
        expect((await queue.claim("worker-b", LEASE_MS))?.id).toBe(followUp.job.id);
      });

      it("batches further follow-ups into the one already queued", async () => {
        await queue.enqueue(requestFor(9, { serial: true }));
        await queue.claim("worker-a", LEASE_MS);
        const queued = await queue.enqueue(requestFor(9, { serial: true, followUp: true }));

        const again = await queue.enqueue(requestFor(9, { serial: true, followUp: true }));
        const thrice = await queue.enqueue(requestFor(9, { serial: true, followUp: true }));

        expect(again).toEqual({ outcome: "already-active", job: queued.job });
        expect(thrice).toEqual({ outcome: "already-active", job: queued.job });
        expect(await queue.findActiveAll(queued.job.dedupeKey)).toHaveLength(2);
      });

      it("enqueues a follow-up normally when nothing is active for its key", async () => {
        const done = await queue.enqueue(requestFor(9));
        await queue.claim("worker-a", LEASE_MS);
        await queue.finish(done.job.id, "worker-a", { state: "succeeded", message: "done" });

        const fresh = await queue.enqueue(requestFor(9, { followUp: true }));
        const brandNew = await queue.enqueue(requestFor(10, { followUp: true }));

        expect(fresh.outcome).toBe("enqueued");
        expect(brandNew.outcome).toBe("enqueued");
        expect((await queue.claim("worker-a", LEASE_MS))?.id).toBe(fresh.job.id);
      });

      it("batches a follow-up into a queued job that has not started", async () => {
        const queued = await queue.enqueue(requestFor(9));

        const followUp = await queue.enqueue(requestFor(9, { followUp: true }));

        expect(followUp).toEqual({ outcome: "already-active", job: queued.job });
        expect(await queue.findActiveAll(queued.job.dedupeKey)).toEqual([queued.job]);
      });

      it("reports a redelivered follow-up as a duplicate, not as a new follow-up", async () => {
        await queue.enqueue(requestFor(9));
        await queue.claim("worker-a", LEASE_MS);
        const request = requestFor(9, { followUp: true, deliveryId: "review-delivery" });
        const followUp = await queue.enqueue(request);

        expect(await queue.enqueue(request)).toEqual({ outcome: "duplicate-delivery", job: followUp.job });
      });

      it("queues a new follow-up behind the previous follow-up once that one runs", async () => {
        const first = await queue.enqueue(requestFor(9, { serial: true }));
        await queue.claim("worker-a", LEASE_MS);
        const second = await queue.enqueue(requestFor(9, { serial: true, followUp: true }));
        await queue.finish(first.job.id, "worker-a", { state: "succeeded", message: "done" });
        const secondRunning = await queue.claim("worker-b", LEASE_MS);
        expect(secondRunning?.id).toBe(second.job.id);

        const third = await queue.enqueue(requestFor(9, { serial: true, followUp: true }));

        expect(third.outcome).toBe("queued-behind");
        if (third.outcome !== "queued-behind") return;
        expect(third.running.id).toBe(second.job.id);
        expect(third.job.id).not.toBe(first.job.id);
        expect(third.job.id).not.toBe(second.job.id);
      });

      it("makes exactly one follow-up when two handles ask for one at once", async (ctx) => {
        if (!harness.reopen) return ctx.skip();
        const other = await harness.reopen();
        const running = await queue.enqueue(requestFor(11, { serial: true }));
        await queue.claim("worker-a", LEASE_MS);
        const handles = [queue, other];

        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) => handles[i % 2]!.enqueue(requestFor(11, { serial: true, followUp: true }))),
        );

        const behind = results.filter((r) => r.outcome === "queued-behind");
        expect(behind).toHaveLength(1);
        const winner = behind[0]!.job.id;
        expect(results.filter((r) => r.outcome === "already-active").map((r) => r.job.id)).toEqual(
          Array.from({ length: 11 }, () => winner),
        );
        expect((await other.findActiveAll(running.job.dedupeKey)).map((job) => job.id)).toEqual([running.job.id, winner]);
      });
    });

    describe("findActive and findActiveAll", () => {
      it("return nothing for a key with no active job", async () => {
        const done = await queue.enqueue(requestFor(9));
        await queue.cancel(done.job.id, "octocat");

        expect(await queue.findActive(done.job.dedupeKey)).toBeUndefined();
        expect(await queue.findActiveAll(done.job.dedupeKey)).toEqual([]);
        expect(await queue.findActiveAll("octo-org/widgets#404:backend-engineer")).toEqual([]);
      });

      it("prefer the running job, and list it before the queued follow-up", async () => {
        const first = await queue.enqueue(requestFor(9));
        const running = await queue.claim("worker-a", LEASE_MS);
        const followUp = await queue.enqueue(requestFor(9, { followUp: true }));

        expect(await queue.findActive(first.job.dedupeKey)).toEqual(running);
        expect(await queue.findActiveAll(first.job.dedupeKey)).toEqual([running, followUp.job]);
        // A plain trigger joins the run in progress, as findActive reports it.
        expect(await queue.enqueue(requestFor(9))).toEqual({ outcome: "already-active", job: running });
      });

      it("let a stop cancel the running job and its follow-up together", async () => {
        const first = await queue.enqueue(requestFor(9, { serial: true }));
        await queue.claim("worker-a", LEASE_MS);
        const followUp = await queue.enqueue(requestFor(9, { serial: true, followUp: true }));

        for (const job of await queue.findActiveAll(first.job.dedupeKey)) await queue.cancel(job.id, "octocat");

        expect(await queue.get(followUp.job.id)).toMatchObject({ state: "cancelled" });
        expect(await queue.get(first.job.id)).toMatchObject({ state: "running", cancelRequestedBy: "octocat" });
        expect(await queue.findActiveAll(first.job.dedupeKey)).toEqual([await queue.get(first.job.id)]);
        expect(await queue.renewLease(first.job.id, "worker-a", LEASE_MS)).toBe("cancelled");
      });
    });

    describe("leases", () => {
      it("lets another worker take a job whose lease expired, and the first worker loses it", async () => {
        const { job } = await queue.enqueue(requestFor(1));
        await queue.claim("worker-a", LEASE_MS);
        advance(LEASE_MS);

        const reclaimed = await queue.claim("worker-b", LEASE_MS);

        expect(reclaimed).toMatchObject({ id: job.id, attempts: 2, workerId: "worker-b", leaseExpiresAt: time + LEASE_MS });
        expect(await queue.renewLease(job.id, "worker-a", LEASE_MS)).toBe("lost");
      });

      it("fails a job whose workers stopped responding maxAttempts times instead of claiming it again", async () => {
        const { job } = await queue.enqueue(requestFor(1));
        for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
          expect(await queue.claim(`worker-${attempt}`, LEASE_MS)).toMatchObject({ id: job.id, attempts: attempt });
          advance(LEASE_MS);
        }

        expect(await queue.claim("worker-last", LEASE_MS)).toBeUndefined();
        const failed = await queue.get(job.id);
        expect(failed).toMatchObject({ state: "failed", attempts: MAX_ATTEMPTS, finishedAt: time, leaseExpiresAt: null });
        expect(failed?.message).toBe(
          `a worker took this job ${MAX_ATTEMPTS} times and stopped responding each time (crash or restart); ` +
            "look at the worker logs, then trigger it again",
        );
        expect(await queue.findActive(job.dedupeKey)).toBeUndefined();
      });

      it("tells onRetired listeners of the job it failed, once, and only the process whose claim failed it", async () => {
        const heard: Job[] = [];
        const stop = queue.onRetired((job) => heard.push(job));
        const other = await harness.reopen?.();
        const heardElsewhere: Job[] = [];
        other?.onRetired((job) => heardElsewhere.push(job));
        const { job } = await queue.enqueue(requestFor(1));
        for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
          await queue.claim(`worker-${attempt}`, LEASE_MS);
          advance(LEASE_MS);
        }
        expect(heard).toEqual([]);

        await queue.claim("worker-last", LEASE_MS);
        await queue.claim("worker-later", LEASE_MS);
        await other?.claim("worker-other", LEASE_MS);
        expect(heard).toHaveLength(1);
        // As ended, so a listener can say why without reading the queue again.
        expect(heard[0]).toMatchObject({ id: job.id, state: "failed", finishedAt: time });
        expect(heard[0]?.message).toContain(`${MAX_ATTEMPTS} times`);
        expect(heardElsewhere).toEqual([]);
        stop();
        await other?.close();
      });

      it("still claims the next job in the same call that fails an exhausted one", async () => {
        const exhausted = await queue.enqueue(requestFor(1));
        for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
          await queue.claim("worker-a", LEASE_MS);
          advance(LEASE_MS);
        }
        const fresh = await queue.enqueue(requestFor(2));

        expect((await queue.claim("worker-b", LEASE_MS))?.id).toBe(fresh.job.id);
        expect((await queue.get(exhausted.job.id))?.state).toBe("failed");
      });

      it("renews the holder's lease and reports ok", async () => {
        const { job } = await queue.enqueue(requestFor(1));
        await queue.claim("worker-a", LEASE_MS);
        advance(LEASE_MS / 2);

        expect(await queue.renewLease(job.id, "worker-a", LEASE_MS)).toBe("ok");
        expect((await queue.get(job.id))?.leaseExpiresAt).toBe(time + LEASE_MS);

        advance(LEASE_MS - 1); // past the original lease, inside the renewed one
        expect(await queue.claim("worker-b", LEASE_MS)).toBeUndefined();
      });

      it("reports lost to a worker that does not hold the job, after finish, and for unknown jobs", async () => {
        const { job } = await queue.enqueue(requestFor(1));
        expect(await queue.renewLease(job.id, "worker-a", LEASE_MS)).toBe("lost"); // still queued
        await queue.claim("worker-a", LEASE_MS);
        expect(await queue.renewLease(job.id, "worker-b", LEASE_MS)).toBe("lost");

        await queue.finish(job.id, "worker-a", { state: "succeeded", message: "done" });
        expect(await queue.renewLease(job.id, "worker-a", LEASE_MS)).toBe("lost");
        expect(await queue.renewLease("no-such-job", "worker-a", LEASE_MS)).toBe("lost");
      });
    });

    describe("finish", () => {
      it("records the outcome and releases the lease", async () => {
        const { job } = await queue.enqueue(requestFor(1));
        await queue.claim("worker-a", LEASE_MS);
        advance(1000);

        const finished = await queue.finish(job.id, "worker-a", { state: "succeeded", message: "opened #43" });

        expect(finished).toMatchObject({
          id: job.id,
          state: "succeeded",
          message: "opened #43",
          finishedAt: time,
          leaseExpiresAt: null,
        });
        expect(await queue.get(job.id)).toEqual(finished);
      });

      it("ignores a finish from a worker that lost the lease", async () => {
        const { job } = await queue.enqueue(requestFor(1));
        await queue.claim("worker-a", LEASE_MS);
        advance(LEASE_MS);
        await queue.claim("worker-b", LEASE_MS);

        const late = await queue.finish(job.id, "worker-a", { state: "failed", message: "stale" });

        expect(late).toBeUndefined();
        expect(await queue.get(job.id)).toMatchObject({ state: "running", workerId: "worker-b", message: null });
      });

      it("ignores a second finish of a finished job", async () => {
        const { job } = await queue.enqueue(requestFor(1));
        await queue.claim("worker-a", LEASE_MS);
        await queue.finish(job.id, "worker-a", { state: "succeeded", message: "first" });

        expect(await queue.finish(job.id, "worker-a", { state: "failed", message: "second" })).toBeUndefined();
        expect(await queue.get(job.id)).toMatchObject({ state: "succeeded", message: "first" });
      });
    });

    describe("cancel", () => {
      it("cancels a queued job at once, naming who stopped it, and never hands it out", async () => {
        const { job } = await queue.enqueue(requestFor(1));

        const cancelled = await queue.cancel(job.id, "octocat");

        expect(cancelled).toMatchObject({ id: job.id, state: "cancelled", finishedAt: time });
        expect(cancelled?.message).toContain("@octocat");
        expect(await queue.claim("worker-a", LEASE_MS)).toBeUndefined();
        expect(await queue.findActive(job.dedupeKey)).toBeUndefined();
        expect((await queue.enqueue(requestFor(1))).outcome).toBe("enqueued");
      });

      it("flags a running job, and its worker learns on the next renewal", async () => {
        const { job } = await queue.enqueue(requestFor(1));
        await queue.claim("worker-a", LEASE_MS);

        const flagged = await queue.cancel(job.id, "octocat");
        expect(flagged).toMatchObject({ state: "running", cancelRequestedBy: "octocat" });

        advance(1000);
        expect(await queue.renewLease(job.id, "worker-a", LEASE_MS)).toBe("cancelled");
        // Still extended, so nobody else picks the job up while it winds down.
        expect((await queue.get(job.id))?.leaseExpiresAt).toBe(time + LEASE_MS);
        expect(await queue.renewLease(job.id, "worker-a", LEASE_MS)).toBe("cancelled");

        const ended = await queue.finish(job.id, "worker-a", { state: "cancelled", message: "stopped by @octocat" });
        expect(ended).toMatchObject({ state: "cancelled", message: "stopped by @octocat" });
      });

      it("ends a cancel-requested job whose worker vanished instead of reclaiming it", async () => {
        const { job } = await queue.enqueue(requestFor(1));
        await queue.claim("worker-a", LEASE_MS);
        await queue.cancel(job.id, "octocat");
        advance(LEASE_MS);

        expect(await queue.claim("worker-b", LEASE_MS)).toBeUndefined();
        const ended = await queue.get(job.id);
        expect(ended).toMatchObject({ state: "cancelled", attempts: 1 });
        expect(ended?.message).toContain("@octocat");
      });

      it("tells onRetired listeners of a cancel-requested job it ended because its worker vanished", async () => {
        const heard: Job[] = [];
        queue.onRetired((job) => heard.push(job));
        const { job } = await queue.enqueue(requestFor(1));
        await queue.claim("worker-a", LEASE_MS);
        await queue.cancel(job.id, "octocat");
        expect(heard).toEqual([]);
        advance(LEASE_MS);

        await queue.claim("worker-b", LEASE_MS);
        expect(heard.map((j) => [j.id, j.state, j.message])).toEqual([[job.id, "cancelled", "stopped by @octocat"]]);
      });

      it("leaves a finished job unchanged", async () => {
        const { job } = await queue.enqueue(requestFor(1));
        await queue.claim("worker-a", LEASE_MS);
        const finished = await queue.finish(job.id, "worker-a", { state: "succeeded", message: "done" });
        advance(1000);

        expect(await queue.cancel(job.id, "octocat")).toEqual(finished);
      });

      it("returns undefined for an unknown job", async () => {
        expect(await queue.cancel("no-such-job", "octocat")).toBeUndefined();
        expect(await queue.get("no-such-job")).toBeUndefined();
      });
    });

    describe("retry backoff", () => {
      let backoffHarness: JobQueueHarness;
      let backoffQueue: JobQueue;

      beforeEach(async () => {
        backoffHarness = await factory({ now: () => time, maxAttempts: 4, retryBackoff: BACKOFF });
        backoffQueue = backoffHarness.queue;
      });

      afterEach(async () => {
        await backoffHarness.cleanup();
      });

      it("computes a delay that doubles per attempt up to the cap", () => {
        expect([0, 1, 2, 3, 4].map((attempts) => retryDelayMs(BACKOFF, attempts))).toEqual([0, 10_000, 20_000, 25_000, 25_000]);
        expect(retryDelayMs(NO_BACKOFF, 3)).toBe(0);
      });

      it("takes a job whose worker vanished again only after its retry delay, longer each time", async () => {
        const { job } = await backoffQueue.enqueue(requestFor(1));
        await backoffQueue.claim("worker-a", LEASE_MS);

        advance(LEASE_MS + 10_000 - 1);
        expect(await backoffQueue.claim("worker-b", LEASE_MS)).toBeUndefined();
        // Still the first worker's while it waits: a late renewal keeps it.
        expect((await backoffQueue.get(job.id))?.state).toBe("running");
        advance(1);
        expect(await backoffQueue.claim("worker-b", LEASE_MS)).toMatchObject({ id: job.id, attempts: 2 });

        advance(LEASE_MS + 20_000 - 1);
        expect(await backoffQueue.claim("worker-c", LEASE_MS)).toBeUndefined();
        advance(1);
        expect(await backoffQueue.claim("worker-c", LEASE_MS)).toMatchObject({ id: job.id, attempts: 3 });
      });

      it("lets other jobs pass one that is waiting out its delay, but not jobs with its serial key", async () => {
        const crashed = await backoffQueue.enqueue(requestFor(9, { agent: BACKEND, serial: true }));
        const sameThread = await backoffQueue.enqueue(requestFor(9, { agent: FRONTEND, serial: true }));
        const other = await backoffQueue.enqueue(requestFor(10, { serial: true }));
        await backoffQueue.claim("worker-a", LEASE_MS);
        advance(LEASE_MS);

        expect((await backoffQueue.claim("worker-b", LEASE_MS))?.id).toBe(other.job.id);
        expect(await backoffQueue.claim("worker-c", LEASE_MS)).toBeUndefined();
        advance(10_000);
        expect((await backoffQueue.claim("worker-c", LEASE_MS))?.id).toBe(crashed.job.id);
        expect((await backoffQueue.get(sameThread.job.id))?.state).toBe("queued");
      });

      it("still ends an exhausted or cancelled job as soon as its lease runs out", async () => {
        const { job } = await backoffQueue.enqueue(requestFor(1));
        await backoffQueue.claim("worker-a", LEASE_MS);
        await backoffQueue.cancel(job.id, "octocat");
        advance(LEASE_MS);

        expect(await backoffQueue.claim("worker-b", LEASE_MS)).toBeUndefined();
        expect(await backoffQueue.get(job.id)).toMatchObject({ state: "cancelled", finishedAt: time });
      });
    });

    describe("release", () => {
      it("hands a running job back so the next claim takes it at once, without using up an attempt", async () => {
        const backoffHarness = await factory({ now: () => time, maxAttempts: MAX_ATTEMPTS, retryBackoff: BACKOFF });
        try {
          const q = backoffHarness.queue;
          const { job } = await q.enqueue(requestFor(1));
          await q.claim("worker-a", LEASE_MS);
          advance(1000);

          const released = await q.release(job.id, "worker-a");

          expect(released).toMatchObject({ id: job.id, state: "running", workerId: null, attempts: 0, leaseExpiresAt: time });
          // The old holder has lost it.
          expect(await q.renewLease(job.id, "worker-a", LEASE_MS)).toBe("lost");
          expect(await q.finish(job.id, "worker-a", { state: "succeeded", message: "late" })).toBeUndefined();
          // No lease to wait out and no retry delay.
          expect(await q.claim("worker-b", LEASE_MS)).toMatchObject({ id: job.id, attempts: 1, workerId: "worker-b" });
        } finally {
          await backoffHarness.cleanup();
        }
      });

      it("keeps the released job ahead of what waits behind it: its serial key and its follow-up", async () => {
        const first = await queue.enqueue(requestFor(9, { agent: BACKEND, serial: true }));
        await queue.claim("worker-a", LEASE_MS);
        const followUp = await queue.enqueue(requestFor(9, { agent: BACKEND, serial: true, followUp: true }));
        const sameThread = await queue.enqueue(requestFor(9, { agent: FRONTEND, serial: true }));
        expect(followUp.outcome).toBe("queued-behind");

        await queue.release(first.job.id, "worker-a");

        expect((await queue.findActiveAll(first.job.dedupeKey)).map((j) => j.id)).toEqual([first.job.id, followUp.job.id]);
        expect((await queue.listActiveBySerialKey(serialKeyFor("octo-org/widgets", 9))).map((j) => j.id)).toEqual([
          first.job.id,
          followUp.job.id,
          sameThread.job.id,
        ]);
        expect((await queue.claim("worker-b", LEASE_MS))?.id).toBe(first.job.id);
        expect(await queue.claim("worker-c", LEASE_MS)).toBeUndefined();
      });

      it("ends a released job as cancelled when someone asked it to stop", async () => {
        const { job } = await queue.enqueue(requestFor(1));
        await queue.claim("worker-a", LEASE_MS);
        await queue.cancel(job.id, "octocat");

        const released = await queue.release(job.id, "worker-a");

        expect(released).toMatchObject({ state: "cancelled", finishedAt: time, message: "stopped by @octocat" });
        expect(await queue.claim("worker-b", LEASE_MS)).toBeUndefined();
      });

      it("ignores a release from a worker that does not hold the job, and of queued or finished jobs", async () => {
        const { job } = await queue.enqueue(requestFor(1));
        expect(await queue.release(job.id, "worker-a")).toBeUndefined();
        await queue.claim("worker-a", LEASE_MS);
        expect(await queue.release(job.id, "worker-b")).toBeUndefined();
        await queue.finish(job.id, "worker-a", { state: "succeeded", message: "done" });
        expect(await queue.release(job.id, "worker-a")).toBeUndefined();
        expect(await queue.release("no-such-job", "worker-a")).toBeUndefined();
        expect(await queue.get(job.id)).toMatchObject({ state: "succeeded", message: "done" });
      });
    });

    describe("prune", () => {
      it("deletes jobs that finished before the cutoff and forgets their deliveries, keeping the rest", async () => {
        const old = await queue.enqueue(requestFor(1, { deliveryId: "old-delivery" }));
        const oldCancelled = await queue.enqueue(requestFor(2));
        const stillQueued = await queue.enqueue(requestFor(3));
        await queue.claim("worker-a", LEASE_MS);
        await queue.claim("worker-b", LEASE_MS);
        await queue.finish(old.job.id, "worker-a", { state: "succeeded", message: "done" });
        await queue.cancel(oldCancelled.job.id, "octocat"); // running: only flagged
        await queue.finish(oldCancelled.job.id, "worker-b", { state: "cancelled", message: "stopped" });
        advance(1000);
        const cutoff = time;
        const recent = await queue.enqueue(requestFor(4));
        advance(500);
        await queue.cancel(recent.job.id, "octocat");
        const queuedLater = await queue.enqueue(requestFor(5));

        expect(await queue.prune(cutoff)).toBe(2);

        expect(await queue.get(old.job.id)).toBeUndefined();
        expect(await queue.get(oldCancelled.job.id)).toBeUndefined();
        expect((await queue.get(stillQueued.job.id))?.state).toBe("queued");
        expect((await queue.get(recent.job.id))?.state).toBe("cancelled");
        expect((await queue.get(queuedLater.job.id))?.state).toBe("queued");
        // The delivery id went with its job: a redelivery now makes a new job.
        expect((await queue.enqueue(requestFor(1, { deliveryId: "old-delivery" }))).outcome).toBe("enqueued");
        expect(await queue.prune(cutoff)).toBe(0);
      });

      it("deletes at most `limit` per call, oldest first, and reports how many", async () => {
        const ids: string[] = [];
        for (let n = 1; n <= 5; n++) {
          const { job } = await queue.enqueue(requestFor(n));
          await queue.cancel(job.id, "octocat");
          ids.push(job.id);
          advance(10);
        }

        expect(await queue.prune(time, 2)).toBe(2);
        expect(await queue.get(ids[0] ?? "")).toBeUndefined();
        expect(await queue.get(ids[1] ?? "")).toBeUndefined();
        expect(await queue.get(ids[2] ?? "")).toBeDefined();
        expect(await queue.prune(time, 2)).toBe(2);
        expect(await queue.prune(time, 2)).toBe(1);
        expect(await queue.prune(time, 2)).toBe(0);
      });
    });

    describe("countActive", () => {
      it("counts queued and running jobs, a handed-back one as running, finished ones not at all", async (ctx) => {
        const counting = queue as JobQueue & { countActive?: () => Promise<{ queued: number; running: number }> };
        if (!counting.countActive) return ctx.skip();
        expect(await counting.countActive()).toEqual({ queued: 0, running: 0 });
        const first = await queue.enqueue(requestFor(1));
        const second = await queue.enqueue(requestFor(2));
        await queue.enqueue(requestFor(3));
        await queue.claim("worker-a", LEASE_MS);
        await queue.claim("worker-b", LEASE_MS);
        await queue.finish(first.job.id, "worker-a", { state: "succeeded", message: "done" });
        await queue.release(second.job.id, "worker-b");

        expect(await counting.countActive()).toEqual({ queued: 1, running: 1 });
      });
    });

    describe("tracking comment", () => {
      it("stores the comment id in the spec and leaves the rest alone", async () => {
        const { job } = await queue.enqueue(requestFor(1));

        await queue.setTrackingComment(job.id, 987654321);

        const updated = await queue.get(job.id);
        expect(updated?.spec).toEqual({ ...job.spec, trackingCommentId: 987654321 });
      });

      it("keeps the comment id across reopen", async (ctx) => {
        if (!harness.reopen) return ctx.skip();
        const { job } = await queue.enqueue(requestFor(1));
        await queue.setTrackingComment(job.id, 55);
        await queue.close();

        const reopened = await harness.reopen();
        expect((await reopened.get(job.id))?.spec.trackingCommentId).toBe(55);
        expect((await reopened.claim("worker-a", LEASE_MS))?.spec.trackingCommentId).toBe(55);
      });
    });
  });
}
