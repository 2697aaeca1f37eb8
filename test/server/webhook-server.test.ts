import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import nock from "nock";
import { Probot, ProbotOctokit, Server } from "probot";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPlanwrightApp } from "../../src/app.js";
import type { PlanwrightRuntime } from "../../src/app.js";
import type { IntakeOutcome } from "../../src/intake/handle-webhook.js";
import { SqliteJobQueue } from "../../src/queue/sqlite-job-queue.js";
import { freePort } from "../helpers/free-port.js";
import { examplePayload } from "../helpers/payloads.js";
import { TEST_PRIVATE_KEY } from "../helpers/probot.js";
import { signWebhook } from "../helpers/sign.js";

const SECRET = "a-real-webhook-secret";
const API = "https://api.github.com";
const REPO = "/repos/Codertocat/Hello-World";

let server: Server;
let runtime: PlanwrightRuntime;
let url: string;
let dataDir: string;
const outcomes: IntakeOutcome[] = [];

beforeAll(async () => {
  nock.disableNetConnect();
  // The test talks to its own server over loopback; only GitHub is faked.
  nock.enableNetConnect(/(127\.0\.0\.1|localhost)/);
  const port = await freePort();
  dataDir = await mkdtemp(path.join(os.tmpdir(), "pw-server-data-"));
  const log = pino({ level: "silent" });
  server = new Server({
    host: "127.0.0.1",
    port,
    log,
    Probot: Probot.defaults({
      appId: 123,
      privateKey: TEST_PRIVATE_KEY,
      secret: SECRET,
      log,
      Octokit: ProbotOctokit.defaults((options: object) => ({ ...options, retry: { enabled: false }, throttle: { enabled: false } })),
    }),
  });
  const planwright = createPlanwrightApp({
    env: { PLANWRIGHT_DATA_DIR: dataDir },
    queue: new SqliteJobQueue({ path: ":memory:" }),
    startWorkers: false,
    onOutcome: (o) => outcomes.push(o),
  });
  await server.load(planwright.appFn);
  runtime = await planwright.runtime;
  await server.start();
  url = `http://127.0.0.1:${port}/api/github/webhooks`;
});

afterAll(async () => {
  await server.stop();
  await runtime.shutdown(0);
  await rm(dataDir, { recursive: true, force: true });
  nock.cleanAll();
  nock.enableNetConnect();
});

async function post(body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
}

function labeledBody(): string {
  const payload = { ...examplePayload("issues", "labeled"), installation: { id: 77, node_id: "x" } };
  payload.label = { ...payload.label!, name: "backend" };
  return JSON.stringify(payload);
}

function mockGitHubForOneRun() {
  return nock(API)
    .post("/app/installations/77/access_tokens")
    .reply(201, { token: "ghs_test", expires_at: "2099-01-01T00:00:00Z" })
    .get("/app")
    .reply(200, { id: 123, slug: "planwright" })
    .get(`${REPO}/contents/.github%2Fplanwright.yml`)
    .reply(404, {})
    .get("/repos/Codertocat/.github/contents/.github%2Fplanwright.yml")
    .reply(404, {})
    .get(`${REPO}/contents/.claude%2Fagents`)
    .reply(404, {})
    .get(`${REPO}/collaborators/Codertocat/permission`)
    .reply(200, { permission: "admin", role_name: "admin" })
    .post(`${REPO}/issues/1/reactions`)
    .reply(201, {})
    .post(`${REPO}/issues/1/comments`)
    .reply(201, { id: 4242, body: "", html_url: "u" });
}

describe("the webhook server", () => {
  it("accepts a signed trigger, queues the job and acknowledges it", async () => {
    const scope = mockGitHubForOneRun();
    const body = labeledBody();
    const response = await post(body, {
      "x-github-event": "issues",
      "x-github-delivery": "11111111-1111-1111-1111-111111111111",
      "x-hub-signature-256": signWebhook(SECRET, body),
    });
    expect(response.status).toBe(200);
    expect(scope.isDone()).toBe(true);
    const last = outcomes.at(-1);
    expect(last?.status).toBe("enqueued");
    if (last?.status === "enqueued") {
      const job = await runtime.queue.get(last.job.id);
      expect(job?.spec.deliveryId).toBe("11111111-1111-1111-1111-111111111111");
      expect(job?.spec.trackingCommentId).toBe(4242);
    }
  });

  it("rejects a bad signature, a missing signature and broken JSON, and keeps serving", async () => {
    const body = labeledBody();
    const badSignature = await post(body, {
      "x-github-event": "issues",
      "x-github-delivery": "22222222-2222-2222-2222-222222222222",
      "x-hub-signature-256": signWebhook("not-the-secret", body),
    });
    const missingSignature = await post(body, {
      "x-github-event": "issues",
      "x-github-delivery": "33333333-3333-3333-3333-333333333333",
    });
    const broken = "{ not json";
    const brokenJson = await post(broken, {
      "x-github-event": "issues",
      "x-github-delivery": "44444444-4444-4444-4444-444444444444",
      "x-hub-signature-256": signWebhook(SECRET, broken),
    });
    for (const response of [badSignature, missingSignature, brokenJson]) {
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    }
    const jobsBefore = outcomes.filter((o) => o.status === "enqueued").length;
    expect(jobsBefore).toBe(1);

    // Still alive: the health ping and a good (non-trigger) delivery both work.
    const ping = await fetch(url.replace("/api/github/webhooks", "/ping"));
    expect(await ping.text()).toBe("PONG");
    const comment = JSON.stringify({ ...examplePayload("issue_comment", "created"), installation: { id: 77, node_id: "x" } });
    const ok = await post(comment, {
      "x-github-event": "issue_comment",
      "x-github-delivery": "55555555-5555-5555-5555-555555555555",
      "x-hub-signature-256": signWebhook(SECRET, comment),
    });
    expect(ok.status).toBe(200);
    expect(outcomes.at(-1)?.status).toBe("ignored");
  });

  it("skips a non-agent label from the config it read last, until a push changes the config", async () => {
    const send = async (event: string, payload: object): Promise<number> => {
      const body = JSON.stringify({ ...payload, installation: { id: 77, node_id: "x" } });
      const response = await post(body, {
        "x-github-event": event,
        "x-github-delivery": crypto.randomUUID(),
        "x-hub-signature-256": signWebhook(SECRET, body),
      });
      return response.status;
    };
    const bugLabel = () => {
      const payload = examplePayload("issues", "labeled");
      payload.label = { ...payload.label!, name: "bug" };
      return payload;
    };
    const configPush = () => {
      const payload = examplePayload("push");
      payload.ref = `refs/heads/${payload.repository.default_branch}`;
      payload.commits = [{ ...(payload.head_commit ?? {}), added: [], removed: [], modified: [".github/planwright.yml"] } as never];
      return payload;
    };
    // Only the reads a config lookup makes; the app token and slug may already be cached.
    const configReads = () =>
      nock(API)
        .post("/app/installations/77/access_tokens")
        .optionally()
        .reply(201, { token: "ghs_test", expires_at: "2099-01-01T00:00:00Z" })
        .get("/app")
        .optionally()
        .reply(200, { id: 123, slug: "planwright" })
        .get(`${REPO}/contents/.github%2Fplanwright.yml`)
        .reply(404, {})
        .get("/repos/Codertocat/.github/contents/.github%2Fplanwright.yml")
        .reply(404, {})
        .get(`${REPO}/contents/.claude%2Fagents`)
        .reply(404, {});

    expect(await send("push", configPush())).toBe(200); // whatever earlier tests left cached is gone
    const first = configReads();
    expect(await send("issues", bugLabel())).toBe(200);
    expect(first.isDone()).toBe(true);
    expect(outcomes.at(-1)).toEqual({ status: "ignored", reason: 'label "bug" is not an agent label' });

    // No interceptors now: a GitHub call would fail the delivery.
    expect(await send("issues", bugLabel())).toBe(200);
    expect(outcomes.at(-1)).toEqual({ status: "ignored", reason: 'label "bug" is not an agent label (cached config)' });

    expect(await send("push", configPush())).toBe(200);
    const again = configReads();
    expect(await send("issues", bugLabel())).toBe(200);
    expect(again.isDone()).toBe(true);
    expect(outcomes.at(-1)).toEqual({ status: "ignored", reason: 'label "bug" is not an agent label' });
  });

  it("serves health, readiness and metrics next to the webhooks", async () => {
    const base = url.replace("/api/github/webhooks", "");
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok" });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    const wrongMethod = await fetch(`${base}/healthz`, { method: "POST" });
    expect(wrongMethod.status).toBe(405);
    expect(await wrongMethod.json()).toMatchObject({ error: { code: "method_not_allowed" } });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/planwright_webhook_duration_seconds_count\{event="issues",outcome="enqueued"\} 1/);
  });
});
