import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { jobsCommand } from "../../src/cli/jobs-command.js";
import type { CliIO } from "../../src/cli/run-command.js";
import { dedupeKeyFor } from "../../src/queue/job.js";
import type { Job } from "../../src/queue/job.js";
import type { EnqueueRequest } from "../../src/queue/job-queue.js";
import { RedisJobQueue } from "../../src/queue/redis-job-queue.js";
import { SqliteJobQueue } from "../../src/queue/sqlite-job-queue.js";
import { makeJobSpec } from "../helpers/job-spec.js";
import { FakeGitHub } from "../helpers/fake-github.js";
import { startFakeGitHub } from "../helpers/fake-github-server.js";
import { TEST_PRIVATE_KEY } from "../helpers/probot.js";
import { trackingMarker } from "../../src/tracking/tracking-comment.js";
import { deleteQueueKeys, requireRedis, TEST_REDIS_URL, uniquePrefix } from "../queue/redis-harness.js";

const NOW = 1_700_000_000_000;

function requestFor(issueNumber: number, overrides: Parameters<typeof makeJobSpec>[0] = {}): EnqueueRequest {
  const deliveryId = `delivery-${issueNumber}-${Math.random().toString(36).slice(2)}`;
  const spec = makeJobSpec({ issueNumber, deliveryId, ...overrides });
  return { spec, deliveryId, dedupeKey: dedupeKeyFor(spec.repository.fullName, spec.pullRequestNumber ?? issueNumber, spec.agent) };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function harness(env: Record<string, string> = {}) {
  const cwd = await mkdtemp(path.join(os.tmpdir(), "pw-jobs-"));
  cleanups.push(() => rm(cwd, { recursive: true, force: true }));
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    env: { PLANWRIGHT_DATA_DIR: path.join(cwd, "data"), ...env },
    cwd,
  };
  const run = async (...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    out.length = 0;
    err.length = 0;
    const code = await jobsCommand(argv, io, { now: () => NOW });
    return { code, stdout: out.join(""), stderr: err.join("") };
  };
  return { io, cwd, run };
}

/** The embedded queue the server would have written, with one job in each interesting state. */
async function seededSqlite(dataDir: string): Promise<{ queued: Job; running: Job; failed: Job; revise: Job }> {
  let time = NOW - 3 * 3600_000;
  const queue = new SqliteJobQueue({ path: path.join(dataDir, "queue.db"), now: () => time });
  try {
    const failed = (await queue.enqueue(requestFor(1))).job;
    await queue.claim("host:1/0", 60_000);
    time += 60_000;
    await queue.finish(failed.id, "host:1/0", { state: "failed", message: "planwright's test run failed:\nnpm test exited 1" });
    time += 3600_000;
    const running = (await queue.enqueue(requestFor(2, { instructions: "use the new API" }))).job;
    await queue.claim("host:1/1", 60_000);
    const revise = (
      await queue.enqueue(requestFor(3, { kind: "revise", pullRequestNumber: 17, source: "review", requester: "alice" }))
    ).job;
    await queue.claim("host:2/0", 60_000);
    time += 60_000;
    const queued = (await queue.enqueue(requestFor(4))).job;
    return {
      queued,
      running: (await queue.get(running.id))!,
      failed: (await queue.get(failed.id))!,
      revise: (await queue.get(revise.id))!,
    };
  } finally {
    await queue.close();
  }
}

describe("planwright jobs (embedded queue)", () => {
  it("lists the newest jobs first with state, target, attempts, age, worker and a one-line outcome", async () => {
    const { io, run } = await harness();
    const jobs = await seededSqlite(io.env.PLANWRIGHT_DATA_DIR!);

    const { code, stdout } = await run();

    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+STATE\s+KIND\s+TARGET\s+AGENT\s+TRIES\s+AGE\s+WORKER\s+OUTCOME$/);
    expect(lines.slice(1).map((l) => l.slice(0, 8))).toEqual(
      [jobs.queued, jobs.revise, jobs.running, jobs.failed].map((j) => j.id.slice(0, 8)),
    );
    expect(lines[2]).toMatch(/running\s+revise\s+octo-org\/widgets PR #17\s+backend-engineer\s+1\s+2h\s+host:2\/0/);
    expect(lines[4]).toMatch(/failed\s+implement\s+octo-org\/widgets#1\s+.*\s3h\s+planwright's test run failed: npm test exited 1$/);
  });

  it("filters by state, limits, and prints JSON that round-trips", async () => {
    const { io, run } = await harness();
    const jobs = await seededSqlite(io.env.PLANWRIGHT_DATA_DIR!);

    const running = await run("--state", "running", "--json");
    expect((JSON.parse(running.stdout) as Job[]).map((j) => j.id)).toEqual([jobs.revise.id, jobs.running.id]);
    const one = await run("--limit", "1", "--json");
    expect(JSON.parse(one.stdout)).toEqual([jobs.queued]);
  });

  it("shows one job by a unique start of its id", async () => {
    const { io, run } = await harness();
    const { running } = await seededSqlite(io.env.PLANWRIGHT_DATA_DIR!);

    const { code, stdout } = await run("show", running.id.slice(0, 8));

    expect(code).toBe(0);
    expect(stdout).toContain(`id                ${running.id}`);
    expect(stdout).toMatch(/state\s+running/);
    expect(stdout).toMatch(/instructions\s+use the new API/);
    expect(stdout).toMatch(/worker\s+host:1\/1/);
    expect(JSON.parse((await run("show", running.id, "--json")).stdout)).toEqual(running);
  });

  it("cancels a queued job at once and flags a running one, recording who asked", async () => {
    const { io, run } = await harness();
    const { queued, running } = await seededSqlite(io.env.PLANWRIGHT_DATA_DIR!);

    const first = await run("cancel", queued.id, "--as", "@ops-alice");
    expect(first).toMatchObject({ code: 0, stdout: `job ${queued.id} cancelled before it started\n` });
    const second = await run("cancel", running.id.slice(0, 6), "--as", "ops-alice");
    expect(second.stdout).toContain(`stop requested for job ${running.id}; its worker (host:1/1) ends the run at its next lease renewal`);

    const queue = new SqliteJobQueue({ path: path.join(io.env.PLANWRIGHT_DATA_DIR!, "queue.db") });
    try {
      expect(await queue.get(queued.id)).toMatchObject({ state: "cancelled", cancelRequestedBy: "ops-alice" });
      expect(await queue.get(running.id)).toMatchObject({ state: "running", cancelRequestedBy: "ops-alice" });
    } finally {
      await queue.close();
    }
    expect((await run("cancel", queued.id)).stdout).toBe(`job ${queued.id} had already ended (cancelled); nothing to stop\n`);
  });

  it("says when a job is not found (exit 1) and when an id is too short to search by", async () => {
    const { io, run } = await harness();
    await seededSqlite(io.env.PLANWRIGHT_DATA_DIR!);

    expect(await run("show", "ffffffff-nope")).toMatchObject({ code: 1, stderr: expect.stringContaining('no job whose id starts with "ffffffff-nope"') });
    expect(await run("show", "ab")).toMatchObject({ code: 1, stderr: expect.stringContaining("give at least 4 characters") });
  });

  it("refuses a missing queue instead of creating an empty one, naming the setting", async () => {
    const { io, run } = await harness();

    const { code, stderr } = await run();

    expect(code).toBe(2);
    expect(stderr).toContain("there is no job queue at");
    expect(stderr).toContain("PLANWRIGHT_DATA_DIR");
    expect(existsSync(path.join(io.env.PLANWRIGHT_DATA_DIR!, "queue.db"))).toBe(false);
  });

  it("reads PLANWRIGHT_DATA_DIR from .env like npm start", async () => {
    const { io, cwd, run } = await harness();
    const dataDir = path.join(cwd, "elsewhere");
    const { queued } = await seededSqlite(dataDir);
    await writeFile(path.join(cwd, ".env"), `PLANWRIGHT_DATA_DIR=${dataDir}\n`);

    expect((await run("--json")).stdout).toContain(queued.id);
    expect(io.env.PLANWRIGHT_DATA_DIR).not.toBe(dataDir);
  });

  it("rejects bad usage with the usage text (exit 2)", async () => {
    const { run } = await harness();
    for (const argv of [["--state", "stuck"], ["--limit", "0"], ["frobnicate"], ["show"], ["list", "extra"], ["--bogus"]]) {
      const result = await run(...argv);
      expect(result.code, argv.join(" ")).toBe(2);
      expect(result.stderr).toContain("Usage: planwright jobs");
    }
  });
});

describe("planwright jobs cancel: the tracking comment of a job that had not started", () => {
  /** A queued job whose tracking comment exists, in the embedded queue under `dataDir`. */
  async function queuedWithComment(dataDir: string, commentId: number, repository?: Job["spec"]["repository"]): Promise<Job> {
    const queue = new SqliteJobQueue({ path: path.join(dataDir, "queue.db"), now: () => NOW });
    try {
      const { job } = await queue.enqueue(requestFor(4, repository ? { repository } : {}));
      await queue.setTrackingComment(job.id, commentId);
      return (await queue.get(job.id))!;
    } finally {
      await queue.close();
    }
  }

  it("says on GitHub who stopped it and how, so the issue does not say queued forever", async () => {
    const { io } = await harness();
    const github = new FakeGitHub();
    const comment = await github.createComment(4, `${trackingMarker("x")}\nqueued`);
    const job = await queuedWithComment(io.env.PLANWRIGHT_DATA_DIR!, comment.id);
    const out: string[] = [];

    const code = await jobsCommand(["cancel", job.id, "--as", "ops-alice"], { ...io, stdout: (t) => out.push(t) }, {
      now: () => NOW,
      githubFor: async () => github,
    });

    expect(code).toBe(0);
    expect(out.join("")).toBe(`job ${job.id} cancelled before it started\nupdated the tracking comment on octo-org/widgets#4\n`);
    const body = github.comments.find((c) => c.id === comment.id)?.body ?? "";
    expect(body).toContain("stopped by @ops-alice (an operator, with planwright jobs cancel) before it started.");
    expect(body).toContain(trackingMarker(job.id));
  });

  it("cancels anyway and says what is left to do when there are no credentials or GitHub fails", async () => {
    const { io } = await harness();
    const first = await queuedWithComment(io.env.PLANWRIGHT_DATA_DIR!, 11);
    const err: string[] = [];
    const cli: CliIO = { ...io, stderr: (t) => err.push(t) };

    expect(await jobsCommand(["cancel", first.id], cli, { githubFor: async () => undefined })).toBe(0);
    expect(err.join("")).toContain("the tracking comment on octo-org/widgets#4 still says the job is queued: set APP_ID and PRIVATE_KEY");

    const second = await queuedWithComment(io.env.PLANWRIGHT_DATA_DIR!, 12);
    err.length = 0;
    const failing = async () => ({
      updateComment: async () => {
        throw new Error("HTTP 403: Resource not accessible by integration");
      },
    });
    expect(await jobsCommand(["cancel", second.id], cli, { githubFor: failing })).toBe(0);
    expect(err.join("")).toContain("the job is cancelled, but updating its tracking comment on octo-org/widgets#4 failed: HTTP 403");

    const queue = new SqliteJobQueue({ path: path.join(io.env.PLANWRIGHT_DATA_DIR!, "queue.db") });
    try {
      expect((await queue.get(first.id))?.state).toBe("cancelled");
      expect((await queue.get(second.id))?.state).toBe("cancelled");
    } finally {
      await queue.close();
    }
  });

  it("reaches GitHub Enterprise as the app's installation when APP_ID and PRIVATE_KEY are set", async () => {
    const fake = await startFakeGitHub();
    cleanups.push(() => fake.close());
    fake.repos.add({ owner: "acme", name: "widgets", ownerType: "Organization", collaborators: {} });
    fake.addIssue({ owner: "acme", repo: "widgets", title: "Add a health check", body: "", user: "alice" });
    const comment = fake.addComment({ owner: "acme", repo: "widgets", issueNumber: 1, body: "queued", user: "planwright[bot]" });
    const { io, run } = await harness({ APP_ID: "123", PRIVATE_KEY: TEST_PRIVATE_KEY, GHE_HOST: fake.host, GHE_PROTOCOL: "http" });
    const repository = { owner: "acme", name: "widgets", fullName: "acme/widgets", cloneUrl: `${fake.url}/acme/widgets.git`, defaultBranch: "main", private: false };
    const queue = new SqliteJobQueue({ path: path.join(io.env.PLANWRIGHT_DATA_DIR!, "queue.db"), now: () => NOW });
    let job: Job;
    try {
      const spec = makeJobSpec({ issueNumber: 1, deliveryId: "d-ghe", repository, installationId: 77 });
      job = (await queue.enqueue({ spec, deliveryId: "d-ghe", dedupeKey: dedupeKeyFor("acme/widgets", 1, spec.agent) })).job;
      await queue.setTrackingComment(job.id, comment.id);
    } finally {
      await queue.close();
    }

    const result = await run("cancel", job.id, "--as", "ops");

    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain("updated the tracking comment on acme/widgets#1");
    expect(fake.commentsOn("acme", "widgets", 1)[0]?.body).toContain("stopped by @ops (an operator, with planwright jobs cancel) before it started.");
    expect(fake.unhandledRequests()).toEqual([]);
  });
});

describe("planwright jobs (Redis queue)", () => {
  beforeAll(requireRedis);

  it("lists and cancels jobs in the shared Redis queue", async () => {
    const prefix = uniquePrefix("jobs-cli");
    cleanups.push(async () => {
      await deleteQueueKeys(prefix);
    });
    const queue = await RedisJobQueue.connect({ url: TEST_REDIS_URL, prefix, subscribe: false });
    cleanups.push(() => queue.close());
    const { job } = await queue.enqueue(requestFor(5));
    const { io } = await harness({ REDIS_URL: TEST_REDIS_URL });
    const out: string[] = [];
    const cli: CliIO = { ...io, stdout: (text) => out.push(text) };

    expect(await jobsCommand(["--json"], cli, { redisPrefix: prefix })).toBe(0);
    expect((JSON.parse(out.join("")) as Job[]).map((j) => j.id)).toEqual([job.id]);
    out.length = 0;
    expect(await jobsCommand(["cancel", job.id.slice(0, 8), "--as", "ops"], cli, { redisPrefix: prefix })).toBe(0);
    expect(out.join("")).toBe(`job ${job.id} cancelled before it started\n`);
    expect(await queue.get(job.id)).toMatchObject({ state: "cancelled", cancelRequestedBy: "ops" });
  });
});

describe("planwright jobs: bad settings", () => {
  it("names each environment problem once", async () => {
    const { run } = await harness({ PLANWRIGHT_CONCURRENCY: "lots" });
    const { code, stderr } = await run();
    expect(code).toBe(2);
    expect(stderr.match(/PLANWRIGHT_CONCURRENCY/g)).toHaveLength(1);
  });
});
