import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { dedupeKeyFor } from "../../src/queue/job.js";
import { SqliteJobQueue } from "../../src/queue/sqlite-job-queue.js";
import { renderTrackingComment, trackingViewOf } from "../../src/tracking/tracking-comment.js";
import { announceRetiredJobs } from "../../src/worker/announce-retired-jobs.js";
import { FakeGitHub } from "../helpers/fake-github.js";
import { makeJobSpec } from "../helpers/job-spec.js";

const LEASE_MS = 30_000;

let time: number;
let queue: SqliteJobQueue;
let github: FakeGitHub;
let warnings: string[];

beforeEach(() => {
  time = 1_700_000_000_000;
  queue = new SqliteJobQueue({ path: ":memory:", now: () => time, maxAttempts: 2, retryBackoff: { baseMs: 0, maxMs: 0 } });
  github = new FakeGitHub();
  warnings = [];
});

afterEach(async () => {
  await queue.close();
});

/** A queued job whose acknowledgement posted its tracking comment, as the intake does. */
async function acknowledgedJob() {
  const spec = makeJobSpec();
  const { job } = await queue.enqueue({ spec, deliveryId: "d-1", dedupeKey: dedupeKeyFor(spec.repository.fullName, spec.issueNumber!, spec.agent) });
  const comment = await github.createComment(spec.issueNumber!, renderTrackingComment(trackingViewOf(job, time)));
  await queue.setTrackingComment(job.id, comment.id);
  return { job, comment };
}

function listen() {
  return announceRetiredJobs({ queue, githubFor: async () => github, log: { warn: (_details, message) => warnings.push(message) } });
}

describe("announceRetiredJobs", () => {
  it("finishes the tracking comment of a job whose workers kept vanishing", async () => {
    listen();
    const { comment } = await acknowledgedJob();
    for (let attempt = 1; attempt <= 2; attempt++) {
      await queue.claim(`worker-${attempt}`, LEASE_MS);
      time += LEASE_MS;
    }
    await queue.claim("worker-3", LEASE_MS);

    await vi.waitFor(() => expect(github.comments[0]?.body).toContain("❌ planwright could not finish"));
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]?.id).toBe(comment.id);
    expect(github.comments[0]?.body).toMatch(/\*\*Why:\*\* a worker took this job 2 times and stopped responding each time.*look at the worker logs/);
    expect(github.comments[0]?.body).not.toContain("stop` to cancel");
  });

  it("says a job was stopped when its stop was asked for after its worker vanished", async () => {
    listen();
    const { job } = await acknowledgedJob();
    await queue.claim("worker-1", LEASE_MS);
    await queue.cancel(job.id, "octocat");
    time += LEASE_MS;
    await queue.claim("worker-2", LEASE_MS);

    await vi.waitFor(() => expect(github.comments[0]?.body).toContain("⏹️ planwright stopped"));
    expect(github.comments[0]?.body).toMatch(/\*\*Stopped:\*\* stopped by @octocat; its worker had stopped responding/);
  });

  it("logs, and keeps the queue working, when GitHub refuses the edit", async () => {
    listen();
    github.failing.add("updateComment");
    await acknowledgedJob();
    for (let attempt = 1; attempt <= 2; attempt++) {
      await queue.claim(`worker-${attempt}`, LEASE_MS);
      time += LEASE_MS;
    }
    const fresh = makeJobSpec({ issueNumber: 2 });
    await queue.enqueue({ spec: fresh, deliveryId: "d-2", dedupeKey: dedupeKeyFor(fresh.repository.fullName, 2, fresh.agent) });

    expect((await queue.claim("worker-3", LEASE_MS))?.spec.issueNumber).toBe(2);
    await vi.waitFor(() => expect(warnings).toEqual(["could not update the tracking comment of a job the queue ended"]));
  });

  it("stops listening when told to", async () => {
    const stop = listen();
    stop();
    await acknowledgedJob();
    for (let attempt = 1; attempt <= 3; attempt++) {
      await queue.claim(`worker-${attempt}`, LEASE_MS);
      time += LEASE_MS;
    }
    expect((await queue.list())[0]?.state).toBe("failed");
    await new Promise((r) => setTimeout(r, 20));
    expect(github.comments[0]?.body).toContain("⏳ planwright will work");
  });
});
