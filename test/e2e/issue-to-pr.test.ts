import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { graphqlRoute, issueLabeledPayload, reviewSubmittedPayload, sendWebhook } from "../helpers/fake-github-server.js";
import type { FakeGitHub } from "../helpers/fake-github-server.js";
import { git } from "../helpers/git-repo.js";
import { startPlanwright, waitFor } from "../helpers/planwright-process.js";
import type { PlanwrightProcess } from "../helpers/planwright-process.js";
import { TEST_PRIVATE_KEY } from "../helpers/probot.js";
import { SAMPLE_REPORT, startScriptedModel, textReply, toolUseReply, writeFileCall } from "../helpers/scripted-model.js";
import type { ScriptedModel } from "../helpers/scripted-model.js";
import { goodRun, startWidgetsWorld, WIDGETS_BRANCH } from "../helpers/widgets-world.js";
import type { WidgetsWorld } from "../helpers/widgets-world.js";
import { freePort } from "../helpers/free-port.js";
import { startPlanwrightWorker } from "../helpers/planwright-worker.js";
import { deleteQueueKeys, requireRedis, TEST_REDIS_URL, uniquePrefix } from "../queue/redis-harness.js";

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SECRET = "e2e-webhook-secret-value";
const BRANCH = WIDGETS_BRANCH;

let world: WidgetsWorld | undefined;
let fake: FakeGitHub;
let model: ScriptedModel | undefined;
let server: PlanwrightProcess | undefined;
const temporary: string[] = [];

beforeAll(async () => {
  // The real server runs the compiled app, as `npm start` does.
  await exec("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: ROOT });
}, 120_000);

afterEach(async () => {
  await server?.stop();
  server = undefined;
  await model?.close();
  model = undefined;
  await world?.close();
  world = undefined;
  for (const dir of temporary.splice(0)) await rm(dir, { recursive: true, force: true });
});

afterAll(async () => {
  for (const dir of temporary.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function startWorld(): Promise<{ data: string; bare: string }> {
  world = await startWidgetsWorld();
  fake = world.fake;
  const data = await mkdtemp(path.join(os.tmpdir(), "pw-e2e-data-"));
  temporary.push(data);
  return { data, bare: world.bare };
}

function serverEnv(data: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    APP_ID: "123",
    PRIVATE_KEY: TEST_PRIVATE_KEY,
    WEBHOOK_SECRET: SECRET,
    NODE_ENV: "production",
    GHE_HOST: fake.host,
    GHE_PROTOCOL: "http",
    ANTHROPIC_API_KEY: "sk-ant-e2e-key-0123456789",
    ANTHROPIC_BASE_URL: model!.url,
    PLANWRIGHT_DATA_DIR: data,
    PLANWRIGHT_CONCURRENCY: "1",
    ...extra,
  };
}

async function label(): Promise<void> {
  const payload = await issueLabeledPayload(fake, { owner: "acme", repo: "widgets", issueNumber: 1, label: "backend", sender: "alice" });
  const response = await sendWebhook({ url: server!.webhookUrl, secret: SECRET, event: "issues", payload });
  expect(response.status).toBe(200);
}

describe("end to end: a labelled issue becomes a tested pull request", () => {
  it("opens the pull request on GitHub with a pushed branch whose tests pass", async () => {
    const { data, bare } = await startWorld();
    model = await startScriptedModel((_request, index) => goodRun(index));
    server = await startPlanwright(serverEnv(data));
    await label();

    const pull = await waitFor(() => fake.state.pullRequests.find((p) => p.number > 0), "the pull request", 90_000, server);
    const tracking = await waitFor(
      () => fake.commentsOn("acme", "widgets", 1).find((c) => c.body.includes("planwright finished")),
      "the finished tracking comment",
      30_000,
      server,
    );
    expect(pull.head).toBe(BRANCH);
    expect(pull.body).toContain("## Implemented");
    expect(pull.body).toMatch(/✅ `npm test` passed/);
    expect(pull.body).toContain("Closes #1");
    expect(pull.draft).toBe(false);
    expect(tracking.body).toContain(pull.htmlUrl);
    expect(fake.state.reactions.some((r) => r.content === "eyes")).toBe(true);

    // What was pushed passes its own tests in a fresh clone.
    const clone = await mkdtemp(path.join(os.tmpdir(), "pw-e2e-clone-"));
    temporary.push(clone);
    await git(clone, "clone", "-q", "--branch", BRANCH, bare, "repo");
    const { stdout } = await exec("node", ["test.js"], { cwd: path.join(clone, "repo") });
    expect(stdout).toContain("1 test passed");
    expect(await git(bare, "log", "-1", "--format=%an", BRANCH)).toBe("planwright[bot]");

    // Every call planwright made was one the fake GitHub knows; the token never reached the model.
    expect(fake.unhandledRequests()).toEqual([]);
    expect(JSON.stringify(model.requests)).not.toMatch(/ghs_[A-Za-z0-9]{20,}/);
  }, 120_000);

  it("finishes the job after a crash mid-run, with one pull request in the end", async () => {
    const { data } = await startWorld();
    let crashed = false;
    let releaseHang: () => void = () => undefined;
    model = await startScriptedModel(async (_request, index) => {
      // The first process dies while the model is thinking about its second turn.
      if (!crashed && index === 1) {
        await new Promise<void>((resolve) => {
          releaseHang = resolve;
        });
        return textReply("too late");
      }
      return goodRun(crashed ? index - 2 : index);
    });
    const env = serverEnv(data, { PLANWRIGHT_LEASE_SECONDS: "2" });
    server = await startPlanwright(env);
    await label();
    await waitFor(() => (model!.requests.length >= 2 ? true : undefined), "the agent's second turn", 60_000, server);

    await server.crash();
    crashed = true;
    releaseHang();
    server = await startPlanwright(env);

    const pull = await waitFor(() => fake.state.pullRequests[0], "the pull request after the restart", 90_000, server);
    await waitFor(
      () => fake.commentsOn("acme", "widgets", 1).find((c) => c.body.includes("planwright finished")),
      "the finished tracking comment",
      30_000,
      server,
    );
    expect(fake.state.pullRequests).toHaveLength(1);
    expect(pull.head).toBe(BRANCH);
    // One run, one tracking comment, edited by both processes.
    expect(fake.commentsOn("acme", "widgets", 1).filter((c) => c.body.includes("<!-- planwright:run"))).toHaveLength(1);
  }, 150_000);

  it("answers a review that requests changes with a new commit on the same pull request", async () => {
    const { data, bare } = await startWorld();
    // Requests for the first run have one user message; the revise run starts a new conversation too,
    // so the script tells them apart by whether review feedback is in the first message.
    model = await startScriptedModel((request) => {
      const first = JSON.stringify(request.messages[0]);
      const turn = request.messages.filter((m) => m.role === "assistant").length;
      if (!first.includes("review comment #")) return goodRun(turn);
      if (turn === 0) return toolUseReply([writeFileCall("NOTES.md", "health reports ok\n")]);
      const id = /review comment #(\d+)/.exec(first)?.[1];
      return textReply(`${SAMPLE_REPORT}\n\n## Review Replies\n- #${id}: Documented it in NOTES.md.`);
    });
    server = await startPlanwright(serverEnv(data));
    await label();
    const pull = await waitFor(() => fake.state.pullRequests[0], "the pull request", 90_000, server);
    await waitFor(() => fake.commentsOn("acme", "widgets", 1).find((c) => c.body.includes("planwright finished")), "the first run to finish", 30_000, server);
    const first = await git(bare, "rev-parse", BRANCH);
    // As if an earlier iteration's tests had failed: passing ones must make it ready again, through GraphQL.
    pull.draft = true;

    const review = await reviewSubmittedPayload(fake, {
      owner: "acme",
      repo: "widgets",
      pullNumber: pull.number,
      sender: "alice",
      state: "changes_requested",
      body: "Please document this.",
      comments: [{ path: "health.js", line: 1, body: "Write this down in NOTES.md." }],
    });
    const response = await sendWebhook({ url: server.webhookUrl, secret: SECRET, event: "pull_request_review", payload: review });
    expect(response.status).toBe(200);

    const revised = await waitFor(
      async () => {
        const head = await git(bare, "rev-parse", BRANCH);
        return head !== first && fake.state.pullRequests[0]?.body?.includes("## Iteration 2") ? head : undefined;
      },
      "the revision commit and Iteration 2",
      90_000,
      server,
    );
    expect(await git(bare, "rev-parse", `${revised}^`)).toBe(first);
    expect(await git(bare, "show", `${BRANCH}:NOTES.md`)).toBe("health reports ok");
    expect(fake.state.pullRequests).toHaveLength(1);
    await waitFor(() => (pull.draft ? undefined : true), "the pull request marked ready for review", 30_000, server);
    expect(fake.requestsTo(graphqlRoute("markPullRequestReadyForReview")).map((r) => r.status)).toEqual([200]);
    await waitFor(
      () => fake.state.reviewComments.find((c) => c.user === "planwright[bot]" && c.body.includes("Documented it in NOTES.md.")),
      "the reply in the review thread",
      30_000,
      server,
    );
    expect(fake.unhandledRequests()).toEqual([]);
  }, 180_000);
});

describe("end to end: the scale-out layout", () => {
  beforeAll(requireRedis);

  it("turns a labelled issue into a pull request with a webhook-only server and a separate worker process on Redis", async () => {
    const { data } = await startWorld();
    model = await startScriptedModel((_request, index) => goodRun(index));
    const prefix = uniquePrefix("e2e-split");
    const redis = { REDIS_URL: TEST_REDIS_URL, PLANWRIGHT_REDIS_PREFIX: prefix };
    server = await startPlanwright(serverEnv(data, { ...redis, PLANWRIGHT_CONCURRENCY: "0" }));
    const workerData = await mkdtemp(path.join(os.tmpdir(), "pw-e2e-worker-data-"));
    temporary.push(workerData);
    const metricsPort = await freePort();
    const worker = await startPlanwrightWorker({
      ...serverEnv(workerData, redis),
      HOST: "127.0.0.1",
      PLANWRIGHT_WORKER_PORT: String(metricsPort),
    });
    try {
      await label();

      const pull = await waitFor(() => fake.state.pullRequests.find((p) => p.number > 0), "the pull request", 90_000, server);
      await waitFor(
        () => fake.commentsOn("acme", "widgets", 1).find((c) => c.body.includes("planwright finished")),
        `the finished tracking comment\n--- worker output ---\n${worker.output()}`,
        30_000,
        server,
      );
      expect(pull.head).toBe(BRANCH);
      expect(pull.draft).toBe(false);
      // The server only took the webhook: the checkout happened in the worker's data directory.
      expect(existsSync(path.join(data, "workspaces"))).toBe(false);
      expect(existsSync(path.join(workerData, "workspaces", "mirrors"))).toBe(true);
      // And the run's metrics are the worker's to serve.
      const scrape = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      // The tracking comment says "finished" a moment before the worker records the outcome.
      const metrics = await waitFor(
        async () => {
          const text = await scrape();
          return /planwright_jobs\{state="running"\} 0/.test(text) ? text : undefined;
        },
        "the worker's /metrics to show no running job",
        10_000,
        server,
      );
      expect(metrics).toMatch(/planwright_run_phase_duration_seconds_count\{[^}]*phase="agent"[^}]*\} 1/);
      expect(fake.unhandledRequests()).toEqual([]);
    } finally {
      await worker.stop();
      await deleteQueueKeys(prefix);
    }
  }, 150_000);
});
