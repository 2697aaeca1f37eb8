import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadBundledAgents } from "../../src/agents/bundled.js";
import { handleWebhook } from "../../src/intake/handle-webhook.js";
import type { IntakeDependencies, IntakeOutcome, RepositoryAccess } from "../../src/intake/handle-webhook.js";
import { SqliteJobQueue } from "../../src/queue/sqlite-job-queue.js";
import { trackingMarker } from "../../src/tracking/tracking-comment.js";
import { FakeGitHub } from "../helpers/fake-github.js";
import { examplePayload } from "../helpers/payloads.js";

const BOT = "planwright[bot]";
const MAINTAINER = "Codertocat";

interface Setup {
  github: FakeGitHub;
  queue: SqliteJobQueue;
  config: unknown;
  configError?: Error;
  enqueuedNotifications: number;
  logs: string[];
}

let s: Setup;

beforeEach(() => {
  s = {
    github: new FakeGitHub(),
    queue: new SqliteJobQueue({ path: ":memory:" }),
    config: null,
    enqueuedNotifications: 0,
    logs: [],
  };
  s.github.permissions.set(MAINTAINER, "write");
});

afterEach(async () => {
  await s.queue.close();
});

function access(): RepositoryAccess {
  return {
    github: s.github,
    loadConfig: async () => {
      if (s.configError) throw s.configError;
      return s.config;
    },
  };
}

function deps(): IntakeDependencies {
  const record = (msg?: unknown, text?: unknown) => {
    s.logs.push(typeof msg === "string" ? msg : String(text ?? ""));
  };
  return {
    queue: s.queue,
    bundledAgents: loadBundledAgents,
    appBotLogin: async () => BOT,
    onEnqueued: () => {
      s.enqueuedNotifications++;
    },
    log: { info: record, warn: record, debug: record, error: record } as unknown as IntakeDependencies["log"],
  };
}

function withInstallation<T extends object>(payload: T): T {
  return { ...payload, installation: { id: 77, node_id: "x" } };
}

function labeled(label = "backend", issueNumber = 1) {
  const payload = withInstallation(examplePayload("issues", "labeled"));
  payload.label = { ...payload.label!, name: label };
  payload.issue.number = issueNumber;
  return payload;
}

function issueComment(body: string, options: { sender?: string; senderType?: string; issueNumber?: number } = {}) {
  const payload = withInstallation(examplePayload("issue_comment", "created"));
  payload.comment.body = body;
  payload.comment.id = 5555;
  payload.issue.number = options.issueNumber ?? 1;
  payload.sender = { ...payload.sender, login: options.sender ?? MAINTAINER, type: (options.senderType ?? "User") as "User" };
  return payload;
}

async function deliver(name: string, payload: unknown, deliveryId: string = crypto.randomUUID()): Promise<IntakeOutcome> {
  return handleWebhook({ deliveryId, name, payload }, access(), deps());
}

describe("handleWebhook: accepted triggers", () => {
  it("enqueues a labelled issue with everything the pipeline needs, and acknowledges it", async () => {
    const outcome = await deliver("issues", labeled(), "delivery-abc");
    expect(outcome.status).toBe("enqueued");
    if (outcome.status !== "enqueued") return;
    const job = await s.queue.get(outcome.job.id);
    expect(job?.state).toBe("queued");
    expect(job?.spec).toMatchObject({
      kind: "implement",
      installationId: 77,
      repository: {
        owner: "Codertocat",
        name: "Hello-World",
        fullName: "Codertocat/Hello-World",
        cloneUrl: "https://github.com/Codertocat/Hello-World.git",
        defaultBranch: "master",
      },
      issueNumber: 1,
      pullRequestNumber: null,
      agent: "backend-engineer",
      command: "backend",
      instructions: "",
      requester: MAINTAINER,
      deliveryId: "delivery-abc",
      source: "label",
    });
    expect(job?.spec.config.protected_paths).toEqual([".github/workflows/**"]);

    expect(s.github.reactions).toEqual([{ target: { type: "issue", number: 1 }, content: "eyes" }]);
    const [tracking] = s.github.comments;
    expect(tracking?.body).toContain(trackingMarker(outcome.job.id));
    expect(tracking?.body).toMatch(/Queued/);
    expect(tracking?.body).toContain("`/backend stop`");
    expect(job?.spec.trackingCommentId).toBe(tracking?.id);
    expect(s.enqueuedNotifications).toBe(1);
  });

  it("takes instructions from a /backend comment and reacts to the comment", async () => {
    const outcome = await deliver("issue_comment", issueComment("/backend use SQLite\nand keep it small"));
    expect(outcome.status).toBe("enqueued");
    if (outcome.status !== "enqueued") return;
    expect(outcome.job.spec.instructions).toBe("use SQLite\nand keep it small");
    expect(outcome.job.spec.source).toBe("issue_comment");
    expect(s.github.reactions[0]).toEqual({ target: { type: "issue_comment", commentId: 5555 }, content: "eyes" });
  });

  it("keeps the issue's title and body as the trigger saw them in the stored job", async () => {
    const payload = labeled();
    payload.issue.title = "Add a health check";
    payload.issue.body = "Make health.js report ok.";
    const outcome = await deliver("issues", payload);
    expect(outcome.status).toBe("enqueued");
    if (outcome.status !== "enqueued") return;
    // Read back from the queue: the snapshot has to survive the spec's trip through storage.
    const job = await s.queue.get(outcome.job.id);
    expect(job?.spec.issueSnapshot).toEqual({ title: "Add a health check", body: "Make health.js report ok." });
  });

  it("snapshots the issue, not the comment, for a /backend comment, and an empty body as empty", async () => {
    const payload = issueComment("/backend go");
    payload.issue.title = "Add a health check";
    payload.issue.body = null;
    const outcome = await deliver("issue_comment", payload);
    expect(outcome.status).toBe("enqueued");
    if (outcome.status !== "enqueued") return;
    expect((await s.queue.get(outcome.job.id))?.spec.issueSnapshot).toEqual({ title: "Add a health check", body: "" });
  });

  it("keeps the job when the acknowledgement fails, so nothing is lost", async () => {
    s.github.failing.add("createComment");
    s.github.failing.add("addReaction");
    const outcome = await deliver("issues", labeled());
    expect(outcome.status).toBe("enqueued");
    if (outcome.status !== "enqueued") return;
    expect((await s.queue.get(outcome.job.id))?.state).toBe("queued");
    expect(s.logs.some((l) => /posting the tracking comment failed/.test(l))).toBe(true);
  });

  it("answers GitHub within the acknowledgement budget even when GitHub is slow, and still acknowledges", async () => {
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    const createComment = s.github.createComment.bind(s.github);
    s.github.createComment = async (number, body) => {
      await slow;
      return createComment(number, body);
    };
    const outcome = await handleWebhook({ deliveryId: "slow-1", name: "issues", payload: labeled() }, access(), {
      ...deps(),
      acknowledgeBudgetMs: 50,
    });
    expect(outcome.status).toBe("enqueued");
    expect(s.github.comments).toHaveLength(0);
    expect(s.enqueuedNotifications).toBe(0);
    release();
    if (outcome.status !== "enqueued") return;
    const deadline = Date.now() + 2_000;
    while (s.enqueuedNotifications === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(s.github.comments).toHaveLength(1);
    expect((await s.queue.get(outcome.job.id))?.spec.trackingCommentId).toBe(s.github.comments[0]?.id);
  });

  it("routes a repository's own agent by its configured command", async () => {
    s.github.files.set(
      ".claude/agents/docs-writer.md",
      "---\nname: docs-writer\ndescription: |\n  Writes docs.\n  TRIGGERS: \"docs\"\ntools: Read, Edit\n---\nWrite docs.",
    );
    s.config = { agents: { "docs-writer": { command: "docs", label: "documentation" } } };
    const outcome = await deliver("issue_comment", issueComment("/docs please"));
    expect(outcome.status).toBe("enqueued");
    if (outcome.status === "enqueued") expect(outcome.job.spec).toMatchObject({ agent: "docs-writer", command: "docs" });
  });

  it("lets a bot listed in allowed_bots trigger without a permission lookup", async () => {
    s.config = { allowed_bots: ["renovate[bot]"] };
    const outcome = await deliver("issue_comment", issueComment("/backend", { sender: "renovate[bot]", senderType: "Bot" }));
    expect(outcome.status).toBe("enqueued");
    expect(s.github.permissionLookups).toEqual([]);
  });
});

describe("handleWebhook: the queue is down", () => {
  it("says so on the issue and still fails the delivery, so it can be redelivered", async () => {
    s.queue.enqueue = async () => {
      throw new Error("connect ECONNREFUSED 127.0.0.1:6379");
    };
    await expect(deliver("issues", labeled())).rejects.toThrow(/ECONNREFUSED/);
    expect(s.github.comments).toHaveLength(1);
    expect(s.github.comments[0]?.body).toMatch(/could not queue this request.*nothing was started.*`\/backend`/s);
    expect(s.github.reactions).toEqual([{ target: { type: "issue", number: 1 }, content: "confused" }]);
  });
});

describe("handleWebhook: dedupe", () => {
  it("makes one job and one acknowledgement for a redelivered webhook", async () => {
    const payload = labeled();
    const first = await deliver("issues", payload, "same-delivery");
    const second = await deliver("issues", structuredClone(payload), "same-delivery");
    expect(first.status).toBe("enqueued");
    expect(second.status).toBe("duplicate-delivery");
    if (first.status === "enqueued" && second.status === "duplicate-delivery") expect(second.job.id).toBe(first.job.id);
    expect(s.github.comments).toHaveLength(1);
    expect(s.github.reactions).toHaveLength(1);
  });

  it("points a second trigger for the same issue at the run in progress", async () => {
    const first = await deliver("issues", labeled());
    const second = await deliver("issue_comment", issueComment("/backend"));
    expect(first.status).toBe("enqueued");
    expect(second.status).toBe("already-active");
    if (first.status !== "enqueued" || second.status !== "already-active") return;
    expect(second.job.id).toBe(first.job.id);
    const pointer = s.github.comments[1]?.body ?? "";
    expect(pointer).toMatch(/already working on this/);
    expect(pointer).toContain(`#issuecomment-${first.job.spec.trackingCommentId}`);
    expect(s.enqueuedNotifications).toBe(1);
  });

  it("keeps the first trigger's snapshot when a later trigger joins the run", async () => {
    const payload = labeled();
    payload.issue.body = "Make health.js report ok.";
    const first = await deliver("issues", payload);
    const edited = issueComment("/backend");
    edited.issue.body = "Make health.js report ok, and print the environment.";
    const second = await deliver("issue_comment", edited);
    expect(second.status).toBe("already-active");
    if (first.status !== "enqueued" || second.status !== "already-active") return;
    expect((await s.queue.get(first.job.id))?.spec.issueSnapshot?.body).toBe("Make health.js report ok.");
  });

  it("acknowledges a redelivery whose first acknowledgement failed", async () => {
    s.github.failing.add("createComment");
    const payload = labeled();
    await deliver("issues", payload, "flaky");
    s.github.failing.delete("createComment");
    const again = await deliver("issues", structuredClone(payload), "flaky");
    expect(again.status).toBe("duplicate-delivery");
    expect(s.github.comments).toHaveLength(1);
    if (again.status === "duplicate-delivery") {
      expect((await s.queue.get(again.job.id))?.spec.trackingCommentId).toBe(s.github.comments[0]?.id);
    }
  });
});

describe("handleWebhook: refusals", () => {
  it("refuses actors without write access with one polite comment, never a job", async () => {
    s.github.permissions.set("visitor", "read");
    const first = await deliver("issue_comment", issueComment("/backend", { sender: "visitor" }));
    const second = await deliver("issue_comment", issueComment("/backend again", { sender: "visitor" }));
    expect(first).toEqual({ status: "refused", actor: "visitor" });
    expect(second).toEqual({ status: "refused", actor: "visitor" });
    expect(s.github.comments).toHaveLength(1);
    expect(s.github.comments[0]?.body).toMatch(/Thanks for the request, @visitor.*\*\*write\*\* access/s);
    expect(s.github.comments[0]?.body).toContain("`/backend`");
    expect(await s.queue.list()).toHaveLength(0);
  });

  it("honours a stricter permission from the config", async () => {
    s.config = { permission: "maintain" };
    const outcome = await deliver("issues", labeled());
    expect(outcome.status).toBe("refused");
    s.github.permissions.set(MAINTAINER, "maintain");
    expect((await deliver("issues", labeled())).status).toBe("enqueued");
  });

  it("comments on invalid config naming each bad key, and starts nothing", async () => {
    s.config = { auto_triger: true, limits: { turns: 0 } };
    const outcome = await deliver("issues", labeled());
    expect(outcome.status).toBe("invalid-config");
    const body = s.github.comments[0]?.body ?? "";
    expect(body).toMatch(/`\.github\/planwright\.yml` on `master` has 2 problems/);
    expect(body).toMatch(/`auto_triger` is not a known key; allowed here:.*`auto_trigger`/);
    expect(body).toMatch(/`limits\.turns`/);
    expect(s.github.reactions).toEqual([{ target: { type: "issue", number: 1 }, content: "confused" }]);
    expect(await s.queue.list()).toHaveLength(0);
  });

  it("gives someone without access the polite refusal, not the config's problems", async () => {
    s.config = { auto_triger: true };
    s.github.permissions.set("visitor", "read");
    const outcome = await deliver("issue_comment", issueComment("/backend", { sender: "visitor" }));
    expect(outcome).toEqual({ status: "refused", actor: "visitor" });
    expect(s.github.comments).toHaveLength(1);
    expect(s.github.comments[0]?.body).toMatch(/Thanks for the request, @visitor/);
    expect(s.github.comments[0]?.body).not.toMatch(/auto_triger|planwright\.yml/);
  });

  it("says the same config problems once per issue, and again when they change", async () => {
    s.config = { auto_triger: true };
    await deliver("issues", labeled());
    await deliver("issue_comment", issueComment("/backend"));
    expect(s.github.comments).toHaveLength(1);
    // Both attempts were seen: each got its 😕.
    expect(s.github.reactions.filter((r) => r.content === "confused")).toHaveLength(2);

    s.config = { auto_trigger: true, limits: { turns: 0 } };
    expect((await deliver("issue_comment", issueComment("/backend"))).status).toBe("invalid-config");
    expect(s.github.comments).toHaveLength(2);
    expect(s.github.comments[1]?.body).toMatch(/`limits\.turns`/);
  });

  it("reports YAML that does not parse", async () => {
    s.configError = Object.assign(new Error("bad indentation of a mapping entry (3:5)"), { name: "YAMLException" });
    const outcome = await deliver("issues", labeled());
    expect(outcome.status).toBe("invalid-config");
    expect(s.github.comments[0]?.body).toMatch(/is not valid YAML: bad indentation/);
  });

  it("stays silent about invalid config for events that are not requests", async () => {
    s.config = { nonsense: 1 };
    const outcome = await deliver("issues", labeled("bug"));
    expect(outcome.status).toBe("ignored");
    expect(s.github.comments).toHaveLength(0);
  });

  it("explains a broken repository agent definition when the config refers to it", async () => {
    s.github.files.set(".claude/agents/docs-writer.md", "---\nname: docs-writer\ndescription: a: b: c\n---\nbody");
    s.config = { agents: { "docs-writer": { command: "docs" } } };
    const outcome = await deliver("issues", labeled());
    expect(outcome.status).toBe("invalid-config");
    const body = s.github.comments[0]?.body ?? "";
    expect(body).toMatch(/`agents\.docs-writer` names no agent/);
    expect(body).toMatch(/\.claude\/agents\/docs-writer\.md: the frontmatter is not valid YAML/);
  });

  it("reports a config that names an agent that does not exist", async () => {
    s.config = { agents: { "frontend-engineer": { command: "frontend" } } };
    const outcome = await deliver("issues", labeled());
    expect(outcome.status).toBe("invalid-config");
    expect(s.github.comments[0]?.body).toMatch(/agents\.frontend-engineer/);
  });
});

describe("handleWebhook: ignored events cost nothing", () => {
  it("ignores ordinary comments without reading config or permissions", async () => {
    s.github.failing.add("readFile");
    s.github.failing.add("listDirectory");
    s.github.failing.add("getPermission");
    const outcome = await deliver("issue_comment", issueComment("Looks good to me /backend"));
    expect(outcome.status).toBe("ignored");
    expect(s.github.comments).toHaveLength(0);
  });

  it("ignores planwright's own comments and other bots", async () => {
    expect((await deliver("issue_comment", issueComment("/backend", { sender: BOT, senderType: "Bot" }))).status).toBe(
      "ignored",
    );
    expect(
      (await deliver("issue_comment", issueComment("/backend", { sender: "dependabot[bot]", senderType: "Bot" }))).status,
    ).toBe("ignored");
    expect(s.github.comments).toHaveLength(0);
  });

  it("ignores payloads without an installation or repository", async () => {
    const payload = issueComment("/backend") as Record<string, unknown>;
    delete payload.installation;
    expect(await deliver("issue_comment", payload)).toEqual({ status: "ignored", reason: "payload has no installation.id" });
  });
});

describe("handleWebhook: stop", () => {
  it("cancels a queued job at once and says who stopped it", async () => {
    const started = await deliver("issues", labeled());
    const stopped = await deliver("issue_comment", issueComment("/backend stop"));
    expect(stopped.status).toBe("stop-requested");
    if (started.status !== "enqueued") throw new Error("expected a job");
    const job = await s.queue.get(started.job.id);
    expect(job?.state).toBe("cancelled");
    const tracking = s.github.comments.find((c) => c.id === job?.spec.trackingCommentId);
    expect(tracking?.body).toMatch(/planwright stopped/);
    expect(tracking?.body).toMatch(/stopped by @Codertocat/);
    // A new request is accepted once the old one is gone.
    expect((await deliver("issues", labeled())).status).toBe("enqueued");
  });

  it("flags a running job for its worker", async () => {
    const started = await deliver("issues", labeled());
    if (started.status !== "enqueued") throw new Error("expected a job");
    const claimed = await s.queue.claim("worker-1", 60_000);
    expect(claimed?.id).toBe(started.job.id);
    await deliver("issue_comment", issueComment("/backend stop"));
    expect(await s.queue.renewLease(started.job.id, "worker-1", 60_000)).toBe("cancelled");
  });

  it("says there is nothing to stop when no run is active", async () => {
    const outcome = await deliver("issue_comment", issueComment("/backend stop"));
    expect(outcome.status).toBe("nothing-to-stop");
    expect(s.github.comments[0]?.body).toMatch(/no queued or running planwright job here/);
  });

  it("refuses a stop from someone without access", async () => {
    const started = await deliver("issues", labeled());
    s.github.permissions.set("visitor", "read");
    expect((await deliver("issue_comment", issueComment("/backend stop", { sender: "visitor" }))).status).toBe("refused");
    if (started.status === "enqueued") expect((await s.queue.get(started.job.id))?.state).toBe("queued");
  });
});

describe("handleWebhook: review feedback and follow-ups", () => {
  const PR = 2;

  function prComment(body: string, options: { state?: "open" | "closed" } = {}) {
    const payload = issueComment(body, { issueNumber: PR });
    payload.issue = {
      ...payload.issue,
      state: options.state ?? "open",
      user: { ...payload.issue.user, login: BOT, type: "Bot" },
      body: "Closes #1",
      pull_request: { url: "u", html_url: "h", diff_url: "d", patch_url: "p", merged_at: null },
    } as typeof payload.issue;
    return payload;
  }

  it("queues feedback that arrives during a run behind it, and batches more into that one follow-up", async () => {
    const first = await deliver("issue_comment", prComment("/backend rename it"));
    expect(first.status).toBe("enqueued");
    if (first.status !== "enqueued") return;
    expect(first.job.spec).toMatchObject({ kind: "revise", pullRequestNumber: PR, issueNumber: 1 });
    // The payload's issue is the pull request here, not the issue it closes.
    expect(first.job.spec.issueSnapshot).toBeNull();
    await s.queue.claim("worker-1", 60_000);

    const second = await deliver("issue_comment", prComment("/backend and add a test"));
    expect(second.status).toBe("queued-behind");
    const third = await deliver("issue_comment", prComment("/backend also the docs"));
    expect(third.status).toBe("already-active");
    if (second.status !== "queued-behind" || third.status !== "already-active") return;
    expect(third.job.id).toBe(second.job.id);

    // One tracking comment per job: the run and its single follow-up.
    const tracking = s.github.comments.filter((c) => c.body.includes("<!-- planwright:run"));
    expect(tracking).toHaveLength(2);
    expect(tracking[1]?.body).toMatch(/waits for the run in progress/);
    // The follow-up cannot start while the first run holds the pull request.
    expect(await s.queue.claim("worker-2", 60_000)).toBeUndefined();
    expect(s.github.reactions.filter((r) => r.content === "eyes")).toHaveLength(3);
  });

  it("answers a request on a closed pull request with a refusal and no job", async () => {
    const outcome = await deliver("issue_comment", prComment("/backend more", { state: "closed" }));
    expect(outcome).toEqual({ status: "pull-request-closed" });
    expect(s.github.comments[0]?.body).toMatch(/closed, so planwright will not change it/);
    expect(await s.queue.list()).toHaveLength(0);
  });

  it("stops the running revise run and its queued follow-up together", async () => {
    const cancelled: string[] = [];
    const first = await deliver("issue_comment", prComment("/backend one"));
    await s.queue.claim("worker-1", 60_000);
    const second = await deliver("issue_comment", prComment("/backend two"));
    const stop = await handleWebhook({ deliveryId: "stop-1", name: "issue_comment", payload: prComment("/backend stop") }, access(), {
      ...deps(),
      onCancelRequested: (job) => cancelled.push(job.id),
    });
    expect(stop.status).toBe("stop-requested");
    if (first.status !== "enqueued" || second.status !== "queued-behind") throw new Error("setup failed");
    expect((await s.queue.get(second.job.id))?.state).toBe("cancelled");
    expect(await s.queue.renewLease(first.job.id, "worker-1", 60_000)).toBe("cancelled");
    expect(cancelled).toEqual([first.job.id]);
  });
});

describe("handleWebhook: removing the label", () => {
  function unlabeled(label = "backend") {
    const payload = withInstallation(examplePayload("issues", "unlabeled"));
    payload.label = { ...payload.label!, name: label };
    payload.issue.number = 1;
    return payload;
  }

  it("cancels a queued job and says who removed the label", async () => {
    const started = await deliver("issues", labeled());
    const outcome = await deliver("issues", unlabeled());
    expect(outcome.status).toBe("stop-requested");
    if (started.status !== "enqueued") throw new Error("expected a job");
    const job = await s.queue.get(started.job.id);
    expect(job?.state).toBe("cancelled");
    const tracking = s.github.comments.find((c) => c.id === job?.spec.trackingCommentId);
    expect(tracking?.body).toMatch(/@Codertocat removed the `backend` label before it started/);
  });

  it("leaves a running job alone and says nothing", async () => {
    const started = await deliver("issues", labeled());
    await s.queue.claim("worker-1", 60_000);
    const comments = s.github.comments.length;
    const outcome = await deliver("issues", unlabeled());
    expect(outcome.status).toBe("ignored");
    if (started.status === "enqueued") expect(await s.queue.renewLease(started.job.id, "worker-1", 60_000)).toBe("ok");
    expect(s.github.comments).toHaveLength(comments);
  });

  it("ignores removing an unrelated label", async () => {
    await deliver("issues", labeled());
    expect((await deliver("issues", unlabeled("bug"))).status).toBe("ignored");
  });
});
