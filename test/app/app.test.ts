import nock from "nock";
import type { Probot } from "probot";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createPlanwrightApp } from "../../src/app.js";
import type { PlanwrightRuntime } from "../../src/app.js";
import type { IntakeOutcome } from "../../src/intake/handle-webhook.js";
import { SqliteJobQueue } from "../../src/queue/sqlite-job-queue.js";
import { allExamplePayloads, examplePayload } from "../helpers/payloads.js";
import { testProbot } from "../helpers/probot.js";

const API = "https://api.github.com";
const REPO = "/repos/Codertocat/Hello-World";

let probot: Probot;
let runtime: PlanwrightRuntime;
let outcomes: IntakeOutcome[];

beforeAll(() => {
  nock.disableNetConnect();
});
afterAll(() => {
  nock.enableNetConnect();
});

beforeEach(async () => {
  outcomes = [];
  probot = testProbot();
  const planwright = createPlanwrightApp({
    env: { PLANWRIGHT_DATA_DIR: "/nonexistent-not-used" },
    queue: new SqliteJobQueue({ path: ":memory:" }),
    startWorkers: false,
    onOutcome: (o) => outcomes.push(o),
  });
  await probot.load(planwright.appFn);
  runtime = await planwright.runtime;
});

afterEach(async () => {
  await runtime.shutdown(0);
  nock.cleanAll();
});

/** GitHub as seen by an installation with no planwright.yml and no repository agents. */
function mockInstallation(permission = "write") {
  return nock(API)
    .post("/app/installations/77/access_tokens")
    .reply(201, { token: "ghs_test", expires_at: "2099-01-01T00:00:00Z", permissions: {} })
    .get("/app")
    .reply(200, { id: 123, slug: "planwright", name: "planwright" })
    .get(`${REPO}/contents/.github%2Fplanwright.yml`)
    .reply(404, { message: "Not Found" })
    .get("/repos/Codertocat/.github/contents/.github%2Fplanwright.yml")
    .reply(404, { message: "Not Found" })
    .get(`${REPO}/contents/.claude%2Fagents`)
    .reply(404, { message: "Not Found" })
    .get(`${REPO}/collaborators/Codertocat/permission`)
    .reply(200, { permission, role_name: permission, user: { login: "Codertocat" } });
}

describe("the Probot app", () => {
  it("turns a `backend` label into a queued job, a 👀 and a tracking comment", async () => {
    let commentBody = "";
    const scope = mockInstallation()
      .post(`${REPO}/issues/1/reactions`, { content: "eyes" })
      .reply(201, { id: 1, content: "eyes" })
      .post(`${REPO}/issues/1/comments`, (body: { body: string }) => {
        commentBody = body.body;
        return true;
      })
      .reply(201, { id: 9001, body: "x", html_url: "https://github.com/Codertocat/Hello-World/issues/1#issuecomment-9001" });

    const payload = { ...examplePayload("issues", "labeled"), installation: { id: 77, node_id: "x" } };
    payload.label = { ...payload.label!, name: "backend" };
    await probot.receive({ id: "delivery-1", name: "issues", payload } as Parameters<Probot["receive"]>[0]);

    expect(scope.isDone()).toBe(true);
    expect(outcomes.map((o) => o.status)).toEqual(["enqueued"]);
    const job = outcomes[0]?.status === "enqueued" ? await runtime.queue.get(outcomes[0].job.id) : undefined;
    expect(job?.spec.trackingCommentId).toBe(9001);
    expect(job?.spec.installationId).toBe(77);
    expect(commentBody).toContain(`<!-- planwright:run ${job?.id} -->`);
  });

  it("answers a reader's /backend with one polite refusal and no job", async () => {
    const scope = mockInstallation("read")
      .get(`${REPO}/issues/1/comments`)
      .query(true)
      .reply(200, [])
      .post(`${REPO}/issues/1/comments`, (body: { body: string }) => /write\*\* access or higher/.test(body.body))
      .reply(201, { id: 9002, body: "x", html_url: "u" });
    const payload = { ...examplePayload("issue_comment", "created"), installation: { id: 77, node_id: "x" } };
    payload.comment.body = "/backend please";
    await probot.receive({ id: "delivery-2", name: "issue_comment", payload } as Parameters<Probot["receive"]>[0]);
    expect(scope.isDone()).toBe(true);
    expect(outcomes).toEqual([{ status: "refused", actor: "Codertocat" }]);
  });

  it("reads an invalid planwright.yml from the default branch and says what is wrong", async () => {
    let commentBody = "";
    const scope = nock(API)
      .post("/app/installations/77/access_tokens")
      .reply(201, { token: "ghs_test", expires_at: "2099-01-01T00:00:00Z" })
      .get("/app")
      .reply(200, { id: 123, slug: "planwright" })
      .get(`${REPO}/contents/.github%2Fplanwright.yml`)
      .reply(200, "auto_trigger: maybe\nlimits:\n  turns: 5\n  budget: 3\n", { "content-type": "text/plain; charset=utf-8" })
      .get(`${REPO}/contents/.claude%2Fagents`)
      .reply(404, { message: "Not Found" })
      // Who asked is checked before the config's problems are shown to them.
      .get(`${REPO}/collaborators/Codertocat/permission`)
      .reply(200, { permission: "write", role_name: "write" })
      // The same problems are said once per issue: none said yet.
      .get(`${REPO}/issues/1/comments`)
      .query(true)
      .reply(200, [])
      .post(`${REPO}/issues/1/comments`, (body: { body: string }) => {
        commentBody = body.body;
        return true;
      })
      .reply(201, { id: 1, body: "x", html_url: "u" })
      .post(`${REPO}/issues/1/reactions`, { content: "confused" })
      .reply(201, {});
    const payload = { ...examplePayload("issues", "labeled"), installation: { id: 77, node_id: "x" } };
    payload.label = { ...payload.label!, name: "backend" };
    await probot.receive({ id: "delivery-3", name: "issues", payload } as Parameters<Probot["receive"]>[0]);
    expect(scope.isDone()).toBe(true);
    expect(commentBody).toMatch(/`auto_trigger`: .*boolean/);
    expect(commentBody).toMatch(/`limits\.budget` is not a known key/);
  });

  it("handles every example payload of every event without an unhandled error", async () => {
    // Any repository, any installation: config and agents absent, nobody has access.
    nock(API)
      .persist()
      .post(/\/app\/installations\/\d+\/access_tokens/)
      .reply(201, { token: "ghs_test", expires_at: "2099-01-01T00:00:00Z" })
      .get("/app")
      .reply(200, { id: 123, slug: "planwright" })
      .get(/\/repos\/[^/]+\/[^/]+\/contents\/.*/)
      .reply(404, { message: "Not Found" })
      .get(/\/repos\/[^/]+\/[^/]+\/collaborators\/[^/]+\/permission/)
      .reply(200, { permission: "read", role_name: "read" })
      .get(/\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments/)
      .reply(200, [])
      .post(/\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments/)
      .reply(201, { id: 1, body: "x", html_url: "u" });

    const examples = allExamplePayloads();
    expect(examples.length).toBeGreaterThan(300);
    for (const [index, { event, payload }] of examples.entries()) {
      await expect(
        probot.receive({ id: `example-${index}`, name: event, payload } as Parameters<Probot["receive"]>[0]),
      ).resolves.not.toThrow();
    }
    // No example is a request from someone with access, so none may become a job.
    expect(outcomes.some((o) => o.status === "enqueued")).toBe(false);
    expect(outcomes.length).toBeGreaterThan(0);
  });
});
