import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAnthropicModelClient } from "../../src/agent/model-client.js";
import { loadBundledAgents } from "../../src/agents/bundled.js";
import { defaultRepoConfig } from "../../src/config/repo-config.js";
import type { RepoConfig } from "../../src/config/repo-config.js";
import { createImplementRunner } from "../../src/pipeline/implement-job.js";
import type { JobOutcome } from "../../src/queue/job-queue.js";
import type { Job } from "../../src/queue/job.js";
import { SqliteJobQueue } from "../../src/queue/sqlite-job-queue.js";
import { PlainSandbox } from "../../src/sandbox/plain-sandbox.js";
import { createRedactor } from "../../src/security/redact-secrets.js";
import { trackingMarker } from "../../src/tracking/tracking-comment.js";
import { MirrorWorkspace } from "../../src/workspace/mirror-workspace.js";
import { FakeGitHub } from "../helpers/fake-github.js";
import { git, makeRepo } from "../helpers/git-repo.js";
import { makeJobSpec } from "../helpers/job-spec.js";
import { errorReply, SAMPLE_REPORT, startScriptedModel, textReply, toolUseReply } from "../helpers/scripted-model.js";
import type { Script, ScriptedModel } from "../helpers/scripted-model.js";

const PROJECT = {
  "package.json": JSON.stringify({ name: "svc", version: "1.0.0", scripts: { test: "node test.js" } }, null, 2),
  "test.js": 'const { ok } = require("./health.js");\nif (ok !== true) { console.error("health is not ok"); process.exit(1); }\nconsole.log("1 test passed");\n',
  "health.js": "exports.ok = undefined;\n",
  "docs/plans/backend-plan.md": "# Plan\n\nhealth.js exports ok = true.\n",
  "docs/intent/product-intent.md": "# Intent\n\n- The service reports its health.\n",
};

const TOKEN = "ghs_pipelineTestToken0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH";

interface World {
  origin: string;
  data: string;
  github: FakeGitHub;
  queue: SqliteJobQueue;
  model: ScriptedModel | undefined;
  cleanup: string[];
}
let w: World;

beforeEach(async () => {
  const source = await makeRepo(PROJECT);
  const holder = await mkdtemp(path.join(os.tmpdir(), "pw-origin-"));
  const origin = path.join(holder, "widgets.git");
  await git(holder, "clone", "-q", "--bare", source, origin);
  const data = await mkdtemp(path.join(os.tmpdir(), "pw-pipeline-data-"));
  const github = new FakeGitHub();
  github.issues.set(12, { number: 12, title: "Add a health check", body: "Make health.js report ok.", state: "open", author: "octocat", isPullRequest: false });
  w = { origin, data, github, queue: new SqliteJobQueue({ path: ":memory:" }), model: undefined, cleanup: [source, holder, data] };
});

afterEach(async () => {
  await w.model?.close();
  await w.queue.close();
  for (const dir of w.cleanup) await rm(dir, { recursive: true, force: true });
});

async function runJob(script: Script, config: Partial<RepoConfig> = {}): Promise<{ outcome: JobOutcome; job: Job }> {
  await w.model?.close();
  w.model = await startScriptedModel(script);
  const spec = makeJobSpec({
    issueNumber: 12,
    repository: { owner: "octo-org", name: "widgets", fullName: "octo-org/widgets", cloneUrl: w.origin, defaultBranch: "main", private: false },
    config: { ...defaultRepoConfig(), ...config },
  });
  const { job: queued } = await w.queue.enqueue({ spec, deliveryId: crypto.randomUUID(), dedupeKey: crypto.randomUUID() });
  const tracking = await w.github.createComment(12, `${trackingMarker(queued.id)}\nqueued`);
  await w.queue.setTrackingComment(queued.id, tracking.id);
  const job = (await w.queue.claim("worker", 60_000))!;
  const runner = createImplementRunner({
    githubFor: async () => w.github,
    tokenFor: () => async () => TOKEN,
    workspace: new MirrorWorkspace({ root: path.join(w.data, "workspaces") }),
    modelClient: createAnthropicModelClient({ apiKey: "sk-ant-pipeline-test", baseURL: w.model.url, maxRetries: 1 }),
    sandbox: new PlainSandbox(),
    bundledAgents: loadBundledAgents,
    queue: w.queue,
    model: "claude-sonnet-5-5",
    dataDir: w.data,
    redact: createRedactor([TOKEN]),
    botIdentity: async () => ({ name: "planwright[bot]", email: "1+planwright[bot]@users.noreply.github.com" }),
    log: { info: () => undefined, warn: () => undefined },
    progressIntervalMs: 0,
  });
  const outcome = await runner(job, { signal: new AbortController().signal });
  return { outcome, job };
}

const fixHealth: Script = (_request, index) => {
  if (index === 0) return toolUseReply([{ name: "Edit", input: { file_path: "health.js", old_string: "undefined", new_string: "true" } }]);
  if (index === 1) return toolUseReply([{ name: "Bash", input: { command: "npm test" } }]);
  return textReply(SAMPLE_REPORT);
};

function tracking(job: Job): string {
  return w.github.comments.find((c) => c.body.includes(trackingMarker(job.id)))?.body ?? "";
}

describe("the implement pipeline", () => {
  it("turns an issue into a verified pull request on planwright/issue-<n>-<slug>", async () => {
    const { outcome, job } = await runJob(fixHealth);
    expect(outcome).toMatchObject({ state: "succeeded" });
    const [pull] = w.github.pulls;
    expect(w.github.pulls).toHaveLength(1);
    expect(pull).toMatchObject({ headRef: "planwright/issue-12-add-a-health-check", baseRef: "main", draft: false, title: "Add a health check" });
    expect(pull!.body).toContain("## Implemented\n- [x] GET /health endpoint");
    expect(pull!.body).toMatch(/✅ `npm test` passed/);
    expect(pull!.body).toContain("Closes #12");
    expect(pull!.body).toMatch(/3 turns/);

    const branch = "planwright/issue-12-add-a-health-check";
    expect(await git(w.origin, "show", `${branch}:health.js`)).toBe("exports.ok = true;");
    const log = await git(w.origin, "log", "-1", "--format=%an <%ae>%n%B", branch);
    expect(log).toContain("planwright[bot] <1+planwright[bot]@users.noreply.github.com>");
    expect(log).toContain("Add a health check (#12)");
    expect(log).toContain("Co-authored-by: octocat <octocat@users.noreply.github.com>");

    const comment = tracking(job);
    expect(comment).toMatch(/planwright finished/);
    expect(comment).toContain(pull!.url);
    // The worktree is gone after the run; the mirror stays for the next one.
    expect(await readdir(path.join(w.data, "workspaces", "worktrees")).catch(() => [])).toHaveLength(0);
  });

  it("updates the same pull request when the issue is run again", async () => {
    await runJob(fixHealth);
    const first = await git(w.origin, "rev-parse", "planwright/issue-12-add-a-health-check");
    w.github.issues.get(12)!.title = "Add a health check endpoint";
    const { outcome } = await runJob((_r, index) =>
      index === 0 ? toolUseReply([{ name: "Write", input: { file_path: "NOTES.md", content: "second run\n" } }]) : textReply(SAMPLE_REPORT),
    );
    expect(outcome.state).toBe("succeeded");
    expect(w.github.pulls).toHaveLength(1);
    const second = await git(w.origin, "rev-parse", "planwright/issue-12-add-a-health-check");
    expect(second).not.toBe(first);
    expect(await git(w.origin, "rev-parse", `${second}^`)).toBe(first);
  });

  it("leaves protected paths out of the push and says so", async () => {
    const { outcome } = await runJob((_r, index) => {
      if (index === 0) {
        return toolUseReply([
          { name: "Edit", input: { file_path: "health.js", old_string: "undefined", new_string: "true" } },
          { name: "Write", input: { file_path: ".github/workflows/ci.yml", content: "on: push\n" } },
        ]);
      }
      return textReply(SAMPLE_REPORT);
    });
    expect(outcome.state).toBe("succeeded");
    const branch = "planwright/issue-12-add-a-health-check";
    await expect(git(w.origin, "show", `${branch}:.github/workflows/ci.yml`)).rejects.toThrow();
    expect(w.github.pulls[0]!.body).toMatch(/## Not pushed[\s\S]*`\.github\/workflows\/ci\.yml`/);
  });

  it("opens no pull request when nothing changed, and says why", async () => {
    const { outcome, job } = await runJob(() => textReply(SAMPLE_REPORT));
    expect(outcome.state).toBe("succeeded");
    expect(w.github.pulls).toHaveLength(0);
    expect(tracking(job)).toMatch(/without changing any file/);
  });

  it("sends failing tests back to the agent and publishes the fixed work", async () => {
    const { outcome } = await runJob((_r, index) => {
      if (index === 0) return toolUseReply([{ name: "Edit", input: { file_path: "health.js", old_string: "undefined", new_string: "false" } }]);
      if (index === 1) return textReply(SAMPLE_REPORT);
      if (index === 2) return toolUseReply([{ name: "Edit", input: { file_path: "health.js", old_string: "false", new_string: "true" } }]);
      return textReply(SAMPLE_REPORT);
    });
    expect(outcome.state).toBe("succeeded");
    expect(w.github.pulls[0]!.body).toMatch(/✅ `npm test` passed .*after 1 fix round/);
    expect(w.github.pulls[0]!.draft).toBe(false);
  });

  it("opens a draft when the tests never pass, with the failing output", async () => {
    const { outcome, job } = await runJob((_r, index) =>
      index % 2 === 0 ? toolUseReply([{ name: "Write", input: { file_path: "health.js", content: "exports.ok = 0;\n" } }]) : textReply(SAMPLE_REPORT),
    );
    expect(outcome.state).toBe("failed");
    const [pull] = w.github.pulls;
    expect(pull!.draft).toBe(true);
    expect(pull!.body).toMatch(/❌ `npm test` failed with exit code 1/);
    expect(pull!.body).toContain("health is not ok");
    expect(tracking(job)).toMatch(/the pull request is a draft/);
  });

  it("explains a model outage on the tracking comment and opens nothing", async () => {
    const { outcome, job } = await runJob(() => errorReply(529, "overloaded_error"));
    expect(outcome.state).toBe("failed");
    expect(w.github.pulls).toHaveLength(0);
    expect(tracking(job)).toMatch(/HTTP 529: the model is overloaded/);
  });

  it("keeps the installation token out of the repository and the agent's view", async () => {
    await runJob((_r, index) =>
      index === 0
        ? toolUseReply([{ name: "Bash", input: { command: "env; git config --list --show-origin; cat .git 2>/dev/null; true" } }])
        : textReply(SAMPLE_REPORT),
    );
    const seen = JSON.stringify(w.model!.requests);
    expect(seen).toContain("GIT_TERMINAL_PROMPT");
    expect(seen).not.toContain(TOKEN);
    const transcripts = path.join(w.data, "transcripts");
    for (const file of await readdir(transcripts)) expect(await readFile(path.join(transcripts, file), "utf8")).not.toContain(TOKEN);
  });
});
