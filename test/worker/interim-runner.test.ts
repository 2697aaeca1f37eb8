import { afterEach, describe, expect, it } from "vitest";
import { SqliteJobQueue } from "../../src/queue/sqlite-job-queue.js";
import { WorkerPool } from "../../src/queue/worker-pool.js";
import { trackingMarker } from "../../src/tracking/tracking-comment.js";
import { createInterimRunner } from "../../src/worker/interim-runner.js";
import { FakeGitHub } from "../helpers/fake-github.js";
import { makeJobSpec } from "../helpers/job-spec.js";

let pool: WorkerPool | undefined;
let queue: SqliteJobQueue | undefined;
afterEach(async () => {
  await pool?.stop({ graceMs: 0 });
  await queue?.close();
});

async function until<T>(fn: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("the interim worker", () => {
  it("takes a queued job, edits its tracking comment and ends it honestly as failed", async () => {
    queue = new SqliteJobQueue({ path: ":memory:" });
    const github = new FakeGitHub();
    const { job } = await queue.enqueue({ spec: makeJobSpec(), deliveryId: "d1", dedupeKey: "k1" });
    const tracking = await github.createComment(42, `${trackingMarker(job.id)}\nqueued`);
    await queue.setTrackingComment(job.id, tracking.id);

    pool = new WorkerPool({ queue, concurrency: 1, pollMs: 20, run: createInterimRunner({ queue, githubFor: async () => github }) });
    pool.start();
    const finished = await until(async () => {
      const current = await queue!.get(job.id);
      return current?.state === "failed" ? current : undefined;
    }, "the job to finish");

    expect(finished.message).toMatch(/cannot run the engineer agent yet/);
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]?.body).toMatch(/could not finish/);
    expect(github.comments[0]?.body).toMatch(/Nothing in the repository was changed/);
    expect(github.comments[0]?.body).toContain(trackingMarker(job.id));
  });

  it("creates the tracking comment when the acknowledgement never posted one", async () => {
    queue = new SqliteJobQueue({ path: ":memory:" });
    const github = new FakeGitHub();
    const { job } = await queue.enqueue({ spec: makeJobSpec({ issueNumber: 7 }), deliveryId: "d2", dedupeKey: "k2" });
    const claimed = await queue.claim("w", 60_000);
    expect(claimed?.id).toBe(job.id);
    const outcome = await createInterimRunner({ queue, githubFor: async () => github })(claimed!, {
      signal: new AbortController().signal,
    });
    expect(outcome.state).toBe("failed");
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]?.issueNumber).toBe(7);
    expect((await queue.get(job.id))?.spec.trackingCommentId).toBe(github.comments[0]?.id);
  });
});
