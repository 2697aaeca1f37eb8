import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Octokit } from "@octokit/rest";
import { Probot, ProbotOctokit, Server } from "probot";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPlanwrightApp } from "../../src/app.js";
import type { PlanwrightRuntime } from "../../src/app.js";
import { createOctokitGitHubPort } from "../../src/github/octokit-github-port.js";
import type { IntakeOutcome } from "../../src/intake/handle-webhook.js";
import { SqliteJobQueue } from "../../src/queue/sqlite-job-queue.js";
import {
  issueCommentPayload,
  issueLabeledPayload,
  reviewCommentPayload,
  reviewSubmittedPayload,
  graphqlRoute,
  sendWebhook,
  startFakeGitHub,
} from "./fake-github-server.js";
import type { FakeGitHub, GitHandler } from "./fake-github-server.js";
import { freePort } from "./free-port.js";
import { GIT_ENV, git, makeRepo } from "./git-repo.js";
import { TEST_PRIVATE_KEY } from "./probot.js";

const silent = pino({ level: "silent" });
// @octokit/rest logs every failed request; the failures here are deliberate.
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const BRANCH = "planwright/issue-1-add-health-check";
const CONFIG = "limits:\n  turns: 40\n";

let fake: FakeGitHub;
let probot: Probot;
let work: string;
let bare: string;
const temporary: string[] = [];

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

/** Git over HTTP the way planwright does it: the token in a header, never in the URL or .git/config. */
async function gitWithToken(cwd: string, token: string | undefined, ...args: string[]): Promise<string> {
  const auth = token === undefined ? [] : ["-c", `http.extraHeader=Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`];
  const { stdout } = await promisify(execFile)("git", [...auth, ...args], {
    cwd,
    // Without this git would wait for a password on the terminal after a 401.
    env: { ...process.env, ...GIT_ENV, GIT_TERMINAL_PROMPT: "0" },
  });
  return stdout.trim();
}

function probotFor(target: FakeGitHub): Probot {
  return new Probot({
    appId: 123,
    privateKey: TEST_PRIVATE_KEY,
    baseUrl: target.apiUrl,
    log: silent,
    // Retries would turn a deliberate 401 into seconds of waiting.
    Octokit: ProbotOctokit.defaults((options: object) => ({ ...options, retry: { enabled: false }, throttle: { enabled: false } })),
  });
}

/** A plain REST client holding a fresh installation token, as planwright's git push path would. */
async function tokenClient(): Promise<{ octokit: Octokit; token: string }> {
  const app = await probot.auth();
  const { data } = await app.rest.apps.createInstallationAccessToken({ installation_id: fake.installationId });
  return { octokit: new Octokit({ baseUrl: fake.apiUrl, auth: data.token, log: quiet }), token: data.token };
}

/** The HTTP status and body of an octokit call, whether it resolved or threw a RequestError. */
async function statusOf(promise: Promise<{ status: number; data: unknown }>): Promise<{ status: number; data: unknown }> {
  try {
    const { status, data } = await promise;
    return { status, data };
  } catch (error) {
    const e = error as { status?: number; response?: { data?: unknown } };
    return { status: e.status ?? 0, data: e.response?.data };
  }
}

beforeAll(async () => {
  const root = await tempDir("pw-fake-git-");
  fake = await startFakeGitHub({ git: { root } });
  work = await makeRepo({
    ".github/planwright.yml": CONFIG,
    "docs/plans/backend-plan.md": "# Plan\n",
    "docs/intent/product-intent.md": "# Intent\n",
    "README.md": "# widgets\n",
  });
  temporary.push(work);
  bare = path.join(root, "acme", "widgets.git");
  await mkdir(path.dirname(bare), { recursive: true });
  await git(work, "clone", "-q", "--bare", work, bare);
  await git(work, "checkout", "-q", "-b", BRANCH);
  await writeFile(path.join(work, "health.ts"), "export const ok = true;\n");
  await git(work, "add", "-A");
  await git(work, "commit", "-q", "-m", "Add health check");
  await git(work, "push", "-q", bare, BRANCH);
  await git(work, "checkout", "-q", "main");

  // No bareRepoPath: with `git.root` the fake finds acme/widgets.git there itself.
  fake.repos.add({ owner: "acme", name: "widgets", ownerType: "Organization", collaborators: { alice: "admin", trish: "triage", wendy: "write" } });
  fake.repos.add({ owner: "acme", name: "notes", ownerType: "Organization", private: true, files: { "notes.md": "hello\n", "a/b/c.txt": "deep\n" } });
  fake.state.account("bob");
  fake.addIssue({ owner: "acme", repo: "widgets", title: "Add a health check", body: "GET /health", user: "alice" });
  probot = probotFor(fake);
});

afterAll(async () => {
  await fake.close();
  await Promise.all(temporary.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("app authentication", () => {
  it("answers GET /app and issues a ghs_ installation token against the app JWT", async () => {
    const app = await probot.auth();
    const { data: integration } = await app.rest.apps.getAuthenticated();
    expect(integration?.slug).toBe("planwright");
    expect(fake.requestsTo("GET /app").at(-1)?.auth).toBe("jwt");

    const { data: installation } = await app.rest.apps.getRepoInstallation({ owner: "acme", repo: "widgets" });
    expect(installation.id).toBe(fake.installationId);

    const before = fake.state.tokens.length;
    const octokit = await probot.auth(fake.installationId);
    const { data: repo } = await octokit.rest.repos.get({ owner: "acme", repo: "widgets" });
    expect(repo.clone_url).toBe(`${fake.url}/acme/widgets.git`);
    expect(repo.default_branch).toBe("main");

    const issued = fake.state.tokens.slice(before);
    expect(issued).toHaveLength(1);
    const token = issued[0]!;
    expect(token.token).toMatch(/^ghs_[0-9A-Za-z]{60}$/);
    expect(token.expiresAt - token.createdAt).toBe(60 * 60 * 1000);
    const used = fake.requestsTo("GET /repos/{owner}/{repo}").at(-1);
    expect(used).toMatchObject({ auth: "token", token: token.token, status: 200 });
  });

  it("refuses a token on JWT routes, a JWT on token routes, and no credentials", async () => {
    const { token } = await tokenClient();
    const app = await fetch(`${fake.apiUrl}/app`, { headers: { authorization: `token ${token}` } });
    expect(app.status).toBe(401);
    const jwt = (await (await probot.auth()).auth({ type: "app" })) as { token: string };
    const repo = await fetch(`${fake.apiUrl}/repos/acme/widgets`, { headers: { authorization: `Bearer ${jwt.token}` } });
    expect(repo.status).toBe(401);
    expect(await repo.json()).toMatchObject({ message: "Bad credentials" });
    const anonymous = await fetch(`${fake.apiUrl}/repos/acme/widgets`);
    expect(anonymous.status).toBe(401);
    const byBearerToken = await fetch(`${fake.apiUrl}/repos/acme/widgets`, { headers: { authorization: `Bearer ${token}` } });
    expect(byBearerToken.status).toBe(200);
  });

  it("answers 401 Bad credentials once a token expires, and a fresh token works", async () => {
    const { octokit, token } = await tokenClient();
    await octokit.rest.repos.get({ owner: "acme", repo: "widgets" });
    expect(fake.expireTokens(token)).toBe(1);

    const expired = await statusOf(octokit.rest.repos.get({ owner: "acme", repo: "widgets" }));
    expect(expired.status).toBe(401);
    expect(expired.data).toMatchObject({ message: "Bad credentials" });

    const fresh = await tokenClient();
    expect(fresh.token).not.toBe(token);
    const { status } = await fresh.octokit.rest.repos.get({ owner: "acme", repo: "widgets" });
    expect(status).toBe(200);
    expect(fake.liveTokens().map((t) => t.token)).not.toContain(token);
  });

  it("reports an expires_at no later than the moment the token stops working", async () => {
    const shortLived = await startFakeGitHub({ tokenTtlMs: 1500 });
    try {
      shortLived.repos.add({ owner: "acme", name: "widgets" });
      const app = await probotFor(shortLived).auth();
      const { data } = await app.rest.apps.createInstallationAccessToken({ installation_id: shortLived.installationId });
      const octokit = new Octokit({ baseUrl: shortLived.apiUrl, auth: data.token, log: quiet });
      expect(Date.parse(data.expires_at)).toBeLessThanOrEqual(Date.now() + 1500);
      expect((await octokit.rest.repos.get({ owner: "acme", repo: "widgets" })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1600));
      expect((await statusOf(octokit.rest.repos.get({ owner: "acme", repo: "widgets" }))).status).toBe(401);
    } finally {
      await shortLived.close();
    }
  });

  it("limits a token to its installation's repositories and to the ones it was scoped to", async () => {
    fake.state.addInstallation(88, "other-org");
    fake.repos.add({ owner: "other-org", name: "secret", installationId: 88, files: { "x.md": "x" } });
    const { octokit } = await tokenClient();
    expect((await statusOf(octokit.rest.repos.get({ owner: "other-org", repo: "secret" }))).status).toBe(404);

    const app = await probot.auth();
    const { data } = await app.rest.apps.createInstallationAccessToken({ installation_id: fake.installationId, repositories: ["notes"] });
    expect(data.repository_selection).toBe("selected");
    const scoped = new Octokit({ baseUrl: fake.apiUrl, auth: data.token, log: quiet });
    expect((await scoped.rest.repos.get({ owner: "acme", repo: "notes" })).status).toBe(200);
    expect((await statusOf(scoped.rest.repos.get({ owner: "acme", repo: "widgets" }))).status).toBe(404);
  });
});

describe("contents, through planwright's own port and Probot's config loader", () => {
  it("reads files from the bare repository, lists directories, and says undefined for missing paths", async () => {
    const port = createOctokitGitHubPort(await probot.auth(fake.installationId), { owner: "acme", repo: "widgets" });
    expect(await port.readFile(".github/planwright.yml")).toBe(CONFIG);
    expect(await port.readFile("docs/nope.md")).toBeUndefined();
    expect(await port.listDirectory("docs")).toEqual([
      { name: "intent", path: "docs/intent", type: "dir" },
      { name: "plans", path: "docs/plans", type: "dir" },
    ]);
    expect(await port.listDirectory(".claude/agents")).toEqual([]);
  });

  it("serves raw text with text/plain and JSON with base64 content, like GitHub", async () => {
    const octokit = await probot.auth(fake.installationId);
    const raw = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      owner: "acme",
      repo: "widgets",
      path: "README.md",
      mediaType: { format: "raw" },
    });
    expect(raw.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(raw.data).toBe("# widgets\n");

    const { data } = await octokit.rest.repos.getContent({ owner: "acme", repo: "widgets", path: "README.md" });
    if (Array.isArray(data) || data.type !== "file") throw new Error("expected a file");
    expect(data.encoding).toBe("base64");
    expect(data.sha).toBe(await git(work, "rev-parse", "main:README.md"));
    expect(Buffer.from(data.content, "base64").toString("utf8")).toBe("# widgets\n");

    const byRef = await octokit.rest.repos.getContent({ owner: "acme", repo: "widgets", path: "health.ts", ref: BRANCH });
    expect(Array.isArray(byRef.data) ? "dir" : byRef.data.type).toBe("file");
    const badRef = await statusOf(octokit.rest.repos.getContent({ owner: "acme", repo: "widgets", path: "README.md", ref: "nope" }));
    expect(badRef.status).toBe(404);
    expect(badRef.data).toMatchObject({ message: "No commit found for the ref nope" });
  });

  it("reflects what was pushed to the bare repository", async () => {
    const port = createOctokitGitHubPort(await probot.auth(fake.installationId), { owner: "acme", repo: "widgets" });
    await writeFile(path.join(work, "CHANGELOG.md"), "v2\n");
    await git(work, "add", "-A");
    await git(work, "commit", "-q", "-m", "changelog");
    await git(work, "push", "-q", bare, "main");
    expect(await port.readFile("CHANGELOG.md")).toBe("v2\n");
  });

  it("reads seeded files when the repository has no bare repo", async () => {
    const port = createOctokitGitHubPort(await probot.auth(fake.installationId), { owner: "acme", repo: "notes" });
    expect(await port.readFile("notes.md")).toBe("hello\n");
    expect(await port.listDirectory("a")).toEqual([{ name: "b", path: "a/b", type: "dir" }]);
    expect(await port.readFile("a/b/c.txt")).toBe("deep\n");
  });

  it("feeds Probot's config loader, which falls back to the owner's .github repo", async () => {
    const octokit = await probot.auth(fake.installationId);
    const found = await octokit.config.get({ owner: "acme", repo: "widgets", path: ".github/planwright.yml" });
    expect(found.config).toEqual({ limits: { turns: 40 } });

    const missing = await octokit.config.get({ owner: "acme", repo: "notes", path: ".github/planwright.yml" });
    expect(missing.config).toEqual({});
    const paths = fake.requestsTo("GET /repos/{owner}/{repo}/contents/{path*}").slice(-2).map((r) => [r.path, r.status]);
    expect(paths).toEqual([
      ["/repos/acme/notes/contents/.github%2Fplanwright.yml", 404],
      ["/repos/acme/.github/contents/.github%2Fplanwright.yml", 404],
    ]);
  });
});

describe("permissions", () => {
  it("reports role_name and the legacy permission the way GitHub does", async () => {
    const octokit = await probot.auth(fake.installationId);
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner: "acme", repo: "widgets", username: "trish" });
    expect(data).toMatchObject({ permission: "read", role_name: "triage", user: { login: "trish", permissions: { triage: true, push: false } } });

    const port = createOctokitGitHubPort(octokit, { owner: "acme", repo: "widgets" });
    expect(await port.getPermission("alice")).toBe("admin");
    expect(await port.getPermission("wendy")).toBe("write");
    // bob is a GitHub user but no collaborator: public repos give everyone read.
    expect(await port.getPermission("bob")).toBe("read");
    // A login that is no account at all: GitHub answers 404, which the port reads as none.
    expect(await port.getPermission("no-such-user")).toBe("none");
    expect(fake.requestsTo("GET /repos/{owner}/{repo}/collaborators/{username}/permission").at(-1)?.status).toBe(404);

    const privatePort = createOctokitGitHubPort(octokit, { owner: "acme", repo: "notes" });
    expect(await privatePort.getPermission("bob")).toBe("none");
  });
});

describe("issue comments and reactions", () => {
  it("creates, updates and finds comments as the app's bot", async () => {
    const port = createOctokitGitHubPort(await probot.auth(fake.installationId), { owner: "acme", repo: "widgets" });
    const created = await port.createComment(1, "<!-- planwright:tracking --> queued");
    expect(created.id).toBeGreaterThan(2 ** 31);
    expect(created.url).toBe(`${fake.url}/acme/widgets/issues/1#issuecomment-${created.id}`);

    await port.updateComment(created.id, "<!-- planwright:tracking --> running");
    const stored = fake.commentsOn("acme", "widgets", 1).find((c) => c.id === created.id);
    expect(stored).toMatchObject({ user: "planwright[bot]", body: "<!-- planwright:tracking --> running", edits: 1 });

    const found = await port.findComment(1, "planwright:tracking");
    expect(found?.id).toBe(created.id);

    const octokit = await probot.auth(fake.installationId);
    const { data } = await octokit.rest.issues.getComment({ owner: "acme", repo: "widgets", comment_id: created.id });
    expect(data.user).toMatchObject({ login: "planwright[bot]", type: "Bot" });
    expect(data.performed_via_github_app?.slug).toBe("planwright");
  });

  it("pages comments with per_page/page and a Link header octokit.paginate follows", async () => {
    const issue = fake.addIssue({ owner: "acme", repo: "widgets", title: "Busy", user: "alice" });
    for (let i = 0; i < 105; i++) fake.addComment({ owner: "acme", repo: "widgets", issueNumber: issue.number, body: `c${i}`, user: "bob" });
    const octokit = await probot.auth(fake.installationId);

    const first = await octokit.rest.issues.listComments({ owner: "acme", repo: "widgets", issue_number: issue.number });
    expect(first.data).toHaveLength(30);
    expect(first.headers.link).toContain('rel="next"');
    const all = await octokit.paginate(octokit.rest.issues.listComments, { owner: "acme", repo: "widgets", issue_number: issue.number, per_page: 100 });
    expect(all.map((c) => c.body)).toEqual(Array.from({ length: 105 }, (_, i) => `c${i}`));
  });

  it("records reactions on issues, issue comments and review comments, answering 200 for a repeat", async () => {
    const octokit = await probot.auth(fake.installationId);
    const port = createOctokitGitHubPort(octokit, { owner: "acme", repo: "widgets" });
    const human = fake.addComment({ owner: "acme", repo: "widgets", issueNumber: 1, body: "/backend please", user: "alice" });
    const pull = await fake.addPullRequest({ owner: "acme", repo: "widgets", title: "seeded", head: BRANCH, user: "alice" });
    const { comments } = await fake.addReview({
      owner: "acme",
      repo: "widgets",
      pullNumber: pull.number,
      user: "alice",
      state: "COMMENTED",
      comments: [{ path: "health.ts", line: 1, body: "/backend rename this" }],
    });
    const reviewComment = comments[0]!;

    await port.addReaction({ type: "issue", number: 1 }, "eyes");
    await port.addReaction({ type: "issue_comment", commentId: human.id }, "eyes");
    await port.addReaction({ type: "review_comment", commentId: reviewComment.id }, "rocket");
    expect(fake.state.reactions.slice(-3).map((r) => [r.subject, r.content, r.user])).toEqual([
      [{ type: "issue", number: 1 }, "eyes", "planwright[bot]"],
      [{ type: "issue_comment", id: human.id }, "eyes", "planwright[bot]"],
      [{ type: "review_comment", id: reviewComment.id }, "rocket", "planwright[bot]"],
    ]);

    const again = await octokit.rest.reactions.createForIssue({ owner: "acme", repo: "widgets", issue_number: 1, content: "eyes" });
    expect(again.status).toBe(200);
    const invalid = await statusOf(octokit.request("POST /repos/acme/widgets/issues/1/reactions", { content: "party" }));
    expect(invalid.status).toBe(422);
    await octokit.rest.pulls.update({ owner: "acme", repo: "widgets", pull_number: pull.number, state: "closed" });
  });

  it("adds, lists and removes labels", async () => {
    const octokit = await probot.auth(fake.installationId);
    const issue = fake.addIssue({ owner: "acme", repo: "widgets", title: "Labels", user: "alice" });
    const { data } = await octokit.rest.issues.addLabels({ owner: "acme", repo: "widgets", issue_number: issue.number, labels: ["backend", "planwright"] });
    expect(data.map((l) => l.name)).toEqual(["backend", "planwright"]);
    await octokit.rest.issues.removeLabel({ owner: "acme", repo: "widgets", issue_number: issue.number, name: "backend" });
    expect(issue.labels).toEqual(["planwright"]);
    expect((await statusOf(octokit.rest.issues.removeLabel({ owner: "acme", repo: "widgets", issue_number: issue.number, name: "backend" }))).status).toBe(404);
    await octokit.rest.issues.removeAllLabels({ owner: "acme", repo: "widgets", issue_number: issue.number });
    expect(issue.labels).toEqual([]);
  });
});

describe("pull requests", () => {
  it("creates a pull request from a pushed branch, numbered after the issues, as the bot", async () => {
    const octokit = await probot.auth(fake.installationId);
    const { data, status } = await octokit.rest.pulls.create({
      owner: "acme",
      repo: "widgets",
      title: "Add a health check",
      head: BRANCH,
      base: "main",
      body: "Closes #1",
      draft: true,
    });
    expect(status).toBe(201);
    const numbers = [...fake.state.issues, ...fake.state.pullRequests].filter((i) => i.repo === "acme/widgets").map((i) => i.number);
    expect(data.number).toBe(Math.max(...numbers));
    expect(data.user).toMatchObject({ login: "planwright[bot]", type: "Bot" });
    expect(data.head.sha).toBe(await git(bare, "rev-parse", BRANCH));
    expect(data.draft).toBe(true);
    expect(data.html_url).toBe(`${fake.url}/acme/widgets/pull/${data.number}`);

    const { data: asIssue } = await octokit.rest.issues.get({ owner: "acme", repo: "widgets", issue_number: data.number });
    expect(asIssue.pull_request?.html_url).toBe(data.html_url);

    const { data: files } = await octokit.rest.pulls.listFiles({ owner: "acme", repo: "widgets", pull_number: data.number });
    expect(files.map((f) => [f.filename, f.status, f.additions])).toEqual([["health.ts", "added", 1]]);
  });

  it("refuses a duplicate with GitHub's 422 and finds the existing one by head", async () => {
    const octokit = await probot.auth(fake.installationId);
    const duplicate = await statusOf(octokit.rest.pulls.create({ owner: "acme", repo: "widgets", title: "again", head: BRANCH, base: "main" }));
    expect(duplicate.status).toBe(422);
    expect(duplicate.data).toMatchObject({
      message: "Validation Failed",
      errors: [{ resource: "PullRequest", code: "custom", message: `A pull request already exists for acme:${BRANCH}.` }],
    });

    const { data: open } = await octokit.rest.pulls.list({ owner: "acme", repo: "widgets", head: `acme:${BRANCH}`, state: "open" });
    expect(open).toHaveLength(1);
    expect(open[0]?.title).toBe("Add a health check");
    const { data: none } = await octokit.rest.pulls.list({ owner: "acme", repo: "widgets", head: "acme:planwright/issue-9-other" });
    expect(none).toEqual([]);
  });

  it("answers 422 for a head branch that was never pushed and for a branch with no new commits", async () => {
    const octokit = await probot.auth(fake.installationId);
    const noBranch = await statusOf(octokit.rest.pulls.create({ owner: "acme", repo: "widgets", title: "x", head: "planwright/missing", base: "main" }));
    expect(noBranch).toMatchObject({ status: 422, data: { errors: [{ resource: "PullRequest", field: "head", code: "invalid" }] } });
    await git(work, "push", "-q", bare, "main:refs/heads/empty-branch");
    const empty = await statusOf(octokit.rest.pulls.create({ owner: "acme", repo: "widgets", title: "x", head: "empty-branch", base: "main" }));
    expect(empty).toMatchObject({ status: 422, data: { errors: [{ code: "custom", message: "No commits between main and empty-branch" }] } });
  });

  it("updates, follows pushes to the head branch, and requests reviewers", async () => {
    const octokit = await probot.auth(fake.installationId);
    const [pull] = (await octokit.rest.pulls.list({ owner: "acme", repo: "widgets", head: `acme:${BRANCH}` })).data;
    if (!pull) throw new Error("expected the pull request from the earlier test");
    const { data: updated } = await octokit.rest.pulls.update({ owner: "acme", repo: "widgets", pull_number: pull.number, body: "New body" });
    expect(updated.body).toBe("New body");

    await git(work, "checkout", "-q", BRANCH);
    await writeFile(path.join(work, "health.ts"), "export const ok = true;\nexport const version = 2;\n");
    await git(work, "commit", "-q", "-am", "follow-up");
    await git(work, "push", "-q", bare, BRANCH);
    await git(work, "checkout", "-q", "main");
    const { data: fresh } = await octokit.rest.pulls.get({ owner: "acme", repo: "widgets", pull_number: pull.number });
    expect(fresh.head.sha).toBe(await git(bare, "rev-parse", BRANCH));
    expect(fresh.commits).toBe(2);

    const { status, data } = await octokit.rest.pulls.requestReviewers({ owner: "acme", repo: "widgets", pull_number: pull.number, reviewers: ["alice"] });
    expect(status).toBe(201);
    expect(data.requested_reviewers?.map((u) => u.login)).toEqual(["alice"]);
    const outsider = await statusOf(octokit.rest.pulls.requestReviewers({ owner: "acme", repo: "widgets", pull_number: pull.number, reviewers: ["bob"] }));
    expect(outsider.status).toBe(422);
  });

  it("lists review comments per pull request and per review, and replies in the thread", async () => {
    const octokit = await probot.auth(fake.installationId);
    const [pull] = (await octokit.rest.pulls.list({ owner: "acme", repo: "widgets", head: `acme:${BRANCH}` })).data;
    if (!pull) throw new Error("expected the pull request from the earlier test");
    const { review, comments } = await fake.addReview({
      owner: "acme",
      repo: "widgets",
      pullNumber: pull.number,
      user: "alice",
      state: "CHANGES_REQUESTED",
      body: "Please add a test",
      comments: [{ path: "health.ts", line: 2, body: "Why 2?" }],
    });
    const { data: forReview } = await octokit.rest.pulls.listCommentsForReview({ owner: "acme", repo: "widgets", pull_number: pull.number, review_id: review.id });
    expect(forReview.map((c) => [c.body, c.path, c.line])).toEqual([["Why 2?", "health.ts", 2]]);
    const { data: gotReview } = await octokit.rest.pulls.getReview({ owner: "acme", repo: "widgets", pull_number: pull.number, review_id: review.id });
    expect(gotReview.state).toBe("CHANGES_REQUESTED");

    const { data: reply } = await octokit.rest.pulls.createReplyForReviewComment({
      owner: "acme",
      repo: "widgets",
      pull_number: pull.number,
      comment_id: comments[0]!.id,
      body: "Fixed in the next commit.",
    });
    expect(reply.in_reply_to_id).toBe(comments[0]!.id);
    expect(reply.user?.login).toBe("planwright[bot]");
    const { data: all } = await octokit.rest.pulls.listReviewComments({ owner: "acme", repo: "widgets", pull_number: pull.number });
    expect(all.map((c) => c.body)).toEqual(["Why 2?", "Fixed in the next commit."]);
  });
});

describe("draft state through GraphQL", () => {
  const NOTES_BRANCH = "planwright/issue-9-notes";

  it("converts a pull request to a draft and marks it ready again through planwright's port", async () => {
    const pull = await fake.addPullRequest({ owner: "acme", repo: "notes", title: "Notes", head: NOTES_BRANCH });
    const port = createOctokitGitHubPort(await probot.auth(fake.installationId), { owner: "acme", repo: "notes" });
    const before = fake.unhandledRequests().length;
    const read = await port.getPullRequest(pull.number);
    expect(read.draft).toBe(false);

    await port.setPullRequestDraft(read, true);
    expect(pull.draft).toBe(true);
    expect((await port.getPullRequest(pull.number)).draft).toBe(true);
    await port.setPullRequestDraft(read, false);
    expect((await port.getPullRequest(pull.number)).draft).toBe(false);

    const [convert] = fake.requestsTo(graphqlRoute("convertPullRequestToDraft"));
    expect(convert).toMatchObject({ method: "POST", path: "/api/graphql", status: 200, auth: "token", body: { variables: { pullRequestId: read.nodeId } } });
    expect(fake.requestsTo(graphqlRoute("markPullRequestReadyForReview"))).toHaveLength(1);
    expect(fake.unhandledRequests().length).toBe(before);
  });

  it("answers GitHub's NOT_FOUND for an unknown id and FORBIDDEN for a token without pull_requests: write", async () => {
    const pull = await fake.addPullRequest({ owner: "acme", repo: "notes", title: "More notes", head: `${NOTES_BRANCH}-2` });
    const octokit = await probot.auth(fake.installationId);
    const port = createOctokitGitHubPort(octokit, { owner: "acme", repo: "notes" });
    const read = await port.getPullRequest(pull.number);
    const data = await octokit.graphql<{ convertPullRequestToDraft: { clientMutationId: null; pullRequest: { id: string; number: number; isDraft: boolean } } }>(
      `mutation Draft($id: ID!) { convertPullRequestToDraft(input: { pullRequestId: $id }) { clientMutationId pullRequest { id number isDraft } } }`,
      { id: read.nodeId },
    );
    expect(data).toEqual({ convertPullRequestToDraft: { clientMutationId: null, pullRequest: { id: read.nodeId, number: pull.number, isDraft: true } } });

    await expect(port.setPullRequestDraft({ number: 999, nodeId: "UHVsbFJlcXVlc3Q6MQ" }, false)).rejects.toThrow(
      /marking pull request #999 ready for review on acme\/notes failed.*Could not resolve to a node with the global id of 'UHVsbFJlcXVlc3Q6MQ'/s,
    );
    const raw = await statusOf(
      // octokit.graphql finds /api/graphql from a GHES base URL by itself; a plain request needs it spelled out.
      octokit.request("POST /graphql", {
        baseUrl: `${fake.url}/api`,
        query: "mutation($id: ID!) { markPullRequestReadyForReview(input: { pullRequestId: $id }) { pullRequest { isDraft } } }",
        variables: { id: "UHVsbFJlcXVlc3Q6MQ" },
      }),
    );
    expect(raw).toEqual({
      status: 200,
      data: {
        data: { markPullRequestReadyForReview: null },
        errors: [
          {
            type: "NOT_FOUND",
            path: ["markPullRequestReadyForReview"],
            locations: [{ line: 1, column: 22 }],
            message: "Could not resolve to a node with the global id of 'UHVsbFJlcXVlc3Q6MQ'",
          },
        ],
      },
    });

    const app = await probot.auth();
    const { data: scoped } = await app.rest.apps.createInstallationAccessToken({ installation_id: fake.installationId, permissions: { contents: "write" } });
    const contentsOnly = createOctokitGitHubPort(
      new ProbotOctokit({ baseUrl: fake.apiUrl, auth: { token: scoped.token }, log: quiet, retry: { enabled: false }, throttle: { enabled: false } }),
      { owner: "acme", repo: "notes" },
    );
    await expect(contentsOnly.setPullRequestDraft(read, false)).rejects.toThrow(/Resource not accessible by integration/);
    expect(pull.draft).toBe(true);
  });

  it("answers any other query with a GraphQL error and records it as unhandled", async () => {
    const octokit = await probot.auth(fake.installationId);
    const before = fake.unhandledRequests().length;
    await expect(octokit.graphql("query { viewer { login } }")).rejects.toThrow(/answers only convertPullRequestToDraft and markPullRequestReadyForReview: a query operation/);
    await expect(octokit.graphql('mutation { addComment(input: { subjectId: "x", body: "hi" }) { clientMutationId } }')).rejects.toThrow(
      /the mutation addComment/,
    );
    const unhandled = fake.unhandledRequests().slice(before);
    expect(unhandled.map((r) => [r.method, r.path, r.status])).toEqual([
      ["POST", "/api/graphql", 200],
      ["POST", "/api/graphql", 200],
    ]);
  });

  it("refuses GraphQL without an installation token, and fails a mutation on request", async () => {
    const anonymous = new Octokit({ baseUrl: fake.apiUrl, log: quiet });
    const refused = await statusOf(anonymous.request("POST /graphql", { baseUrl: `${fake.url}/api`, query: "mutation { x }" }));
    expect(refused).toMatchObject({ status: 401, data: { message: "This endpoint requires you to be authenticated." } });

    const pull = await fake.addPullRequest({ owner: "acme", repo: "notes", title: "Failing", head: `${NOTES_BRANCH}-3`, draft: true });
    const port = createOctokitGitHubPort(await probot.auth(fake.installationId), { owner: "acme", repo: "notes" });
    const read = await port.getPullRequest(pull.number);
    fake.failNext({ route: graphqlRoute("markPullRequestReadyForReview"), status: 502 });
    await expect(port.setPullRequestDraft(read, false)).rejects.toMatchObject({ name: "GitHubAPIError", status: 502 });
    expect(pull.draft).toBe(true);
    await port.setPullRequestDraft(read, false);
    expect(pull.draft).toBe(false);
  });
});

describe("unhandled routes, failures and git", () => {
  it("answers 404 for unknown routes and records them as unhandled", async () => {
    const octokit = await probot.auth(fake.installationId);
    const before = fake.unhandledRequests().length;
    const result = await statusOf(octokit.request("GET /repos/{owner}/{repo}/branches/{branch}", { owner: "acme", repo: "widgets", branch: "main" }));
    expect(result).toMatchObject({ status: 404, data: { message: "Not Found" } });
    const unhandled = fake.unhandledRequests().slice(before);
    expect(unhandled.map((r) => [r.method, r.path])).toEqual([["GET", "/repos/acme/widgets/branches/main"]]);
  });

  it("fails the next matching request when told to, then recovers", async () => {
    const port = createOctokitGitHubPort(await probot.auth(fake.installationId), { owner: "acme", repo: "widgets" });
    fake.failNext({ route: "POST /repos/{owner}/{repo}/issues/{issue_number}/comments", status: 502 });
    await expect(port.createComment(1, "first try")).rejects.toMatchObject({ status: 502 });
    await expect(port.createComment(1, "second try")).resolves.toMatchObject({ body: "second try" });
  });

  it("checks git credentials before handing the request to the git handler", async () => {
    const calls: string[] = [];
    const gitHandler: GitHandler = (req, res) => {
      calls.push(`${req.method} ${req.url}`);
      res.writeHead(200, { "content-type": "text/plain" }).end("git handler reached");
    };
    const gated = await startFakeGitHub({ gitHandler });
    try {
      gated.repos.add({ owner: "acme", name: "widgets", files: { "README.md": "x" } });
      gated.repos.add({ owner: "acme", name: "private", private: true, files: { "README.md": "x" } });
      const app = await probotFor(gated).auth();
      const { data } = await app.rest.apps.createInstallationAccessToken({ installation_id: gated.installationId });
      const basic = (secret: string) => `Basic ${Buffer.from(`x-access-token:${secret}`).toString("base64")}`;
      // Owner and name are matched case-insensitively, and the handler sees the canonical spelling.
      const refs = `${gated.url}/ACME/Widgets.git/info/refs?service=git-receive-pack`;

      expect((await fetch(refs)).status).toBe(401);
      expect((await fetch(refs, { headers: { authorization: basic("ghs_notatoken") } })).status).toBe(401);
      const ok = await fetch(refs, { headers: { authorization: basic(data.token) } });
      expect(await ok.text()).toBe("git handler reached");
      gated.expireTokens(data.token);
      expect((await fetch(refs, { headers: { authorization: basic(data.token) } })).status).toBe(401);
      // A public repository can be fetched anonymously; a private one cannot.
      expect((await fetch(`${gated.url}/acme/widgets.git/info/refs?service=git-upload-pack`)).status).toBe(200);
      expect((await fetch(`${gated.url}/acme/private.git/info/refs?service=git-upload-pack`)).status).toBe(401);

      expect(calls).toEqual(["GET /acme/widgets.git/info/refs?service=git-receive-pack", "GET /acme/widgets.git/info/refs?service=git-upload-pack"]);
      expect(gated.requestsTo("GIT push").map((r) => r.status)).toEqual([401, 401, 200, 401]);
    } finally {
      await gated.close();
    }
  });

  it("clones and pushes through the real git bridge with installation tokens, and refuses an expired one", async () => {
    const { octokit, token } = await tokenClient();
    const scratch = await tempDir("pw-fake-clone-");
    const clone = path.join(scratch, "widgets");
    const bridgeBefore = fake.gitServer?.requests.length ?? 0;

    await gitWithToken(scratch, token, "clone", "-q", `${fake.url}/acme/widgets.git`, clone);
    expect(await readFile(path.join(clone, ".github/planwright.yml"), "utf8")).toBe(CONFIG);
    expect(await git(clone, "config", "--get", "remote.origin.url")).toBe(`${fake.url}/acme/widgets.git`);

    await git(clone, "checkout", "-q", "-b", "planwright/issue-7-pushed");
    await writeFile(path.join(clone, "pushed.txt"), "through the fake\n");
    await git(clone, "add", "-A");
    await git(clone, "commit", "-q", "-m", "pushed through the fake");
    await gitWithToken(clone, token, "push", "-q", "origin", "planwright/issue-7-pushed");
    expect(await git(bare, "rev-parse", "planwright/issue-7-pushed")).toBe(await git(clone, "rev-parse", "HEAD"));

    // What was pushed is what the API sees.
    const { data: pull } = await octokit.rest.pulls.create({ owner: "acme", repo: "widgets", title: "Pushed", head: "planwright/issue-7-pushed", base: "main" });
    expect(pull.head.sha).toBe(await git(clone, "rev-parse", "HEAD"));
    await octokit.rest.pulls.update({ owner: "acme", repo: "widgets", pull_number: pull.number, state: "closed" });

    fake.expireTokens(token);
    await writeFile(path.join(clone, "pushed.txt"), "again\n");
    await git(clone, "commit", "-q", "-am", "second push");
    await expect(gitWithToken(clone, token, "push", "-q", "origin", "planwright/issue-7-pushed")).rejects.toThrow(
      // Git answers a 401 challenge by asking for credentials, which the disabled prompt refuses.
      /could not read Username|Authentication failed/,
    );
    expect(fake.requestsTo("GIT push").at(-1)?.status).toBe(401);
    expect(fake.gitServer?.requests.slice(bridgeBefore).every((r) => r.authorized)).toBe(true);

    const fresh = await tokenClient();
    await gitWithToken(clone, fresh.token, "push", "-q", "origin", "planwright/issue-7-pushed");
    expect(await git(bare, "rev-parse", "planwright/issue-7-pushed")).toBe(await git(clone, "rev-parse", "HEAD"));
  });
});

describe("webhook payloads and planwright's real intake", () => {
  let server: Server;
  let runtime: PlanwrightRuntime;
  let webhookUrl: string;
  const outcomes: IntakeOutcome[] = [];
  const SECRET = "fake-github-secret";

  beforeAll(async () => {
    const port = await freePort();
    server = new Server({
      host: "127.0.0.1",
      port,
      log: silent,
      Probot: Probot.defaults({
        appId: 123,
        privateKey: TEST_PRIVATE_KEY,
        secret: SECRET,
        baseUrl: fake.apiUrl,
        log: silent,
        Octokit: ProbotOctokit.defaults((options: object) => ({ ...options, retry: { enabled: false }, throttle: { enabled: false } })),
      }),
    });
    const planwright = createPlanwrightApp({
      env: { PLANWRIGHT_DATA_DIR: "/unused" },
      queue: new SqliteJobQueue({ path: ":memory:" }),
      startWorkers: false,
      onOutcome: (o) => outcomes.push(o),
    });
    await server.load(planwright.appFn);
    runtime = await planwright.runtime;
    await server.start();
    webhookUrl = `http://127.0.0.1:${port}/api/github/webhooks`;
  });

  afterAll(async () => {
    await server.stop();
    await runtime.shutdown(0);
  });

  it("builds an issues.labeled payload that planwright triages, acknowledges and enqueues, touching only known routes", async () => {
    const issue = fake.addIssue({ owner: "acme", repo: "widgets", title: "Add metrics", body: "Expose /metrics", user: "alice" });
    const payload = await issueLabeledPayload(fake, { owner: "acme", repo: "widgets", issueNumber: issue.number, label: "backend", sender: "alice" });
    expect(payload.repository.clone_url).toBe(`${fake.url}/acme/widgets.git`);
    expect(payload.installation?.id).toBe(fake.installationId);
    expect(issue.labels).toContain("backend");

    const before = fake.requests.length;
    const response = await sendWebhook({ url: webhookUrl, secret: SECRET, event: "issues", payload });
    expect(response.status).toBe(200);
    expect(outcomes.at(-1)?.status).toBe("enqueued");

    const tracking = fake.commentsOn("acme", "widgets", issue.number);
    expect(tracking).toHaveLength(1);
    expect(tracking[0]?.user).toBe("planwright[bot]");
    expect(fake.state.reactions.at(-1)).toMatchObject({ subject: { type: "issue", number: issue.number }, content: "eyes", user: "planwright[bot]" });
    const during = fake.requests.slice(before);
    expect(during.filter((r) => r.route === undefined)).toEqual([]);
    expect(during.some((r) => r.route === "POST /app/installations/{installation_id}/access_tokens")).toBe(true);
  });

  it("refuses a webhook signed with the wrong secret", async () => {
    const issue = fake.addIssue({ owner: "acme", repo: "widgets", title: "x", user: "alice" });
    const payload = await issueLabeledPayload(fake, { owner: "acme", repo: "widgets", issueNumber: issue.number, label: "backend", sender: "alice" });
    const response = await sendWebhook({ url: webhookUrl, secret: "wrong", event: "issues", payload });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(fake.commentsOn("acme", "widgets", issue.number)).toEqual([]);
  });

  it("builds an issue_comment payload on a pull request, recording the comment first", async () => {
    const pull = fake.state.pullRequests.find((p) => p.repo === "acme/widgets" && p.state === "open" && p.head === BRANCH);
    if (!pull) throw new Error("expected the open pull request from the earlier tests");
    const payload = await issueCommentPayload(fake, { owner: "acme", repo: "widgets", issueNumber: pull.number, body: "/backend use a constant", sender: "alice" });
    expect(payload.issue.pull_request?.html_url).toBe(pull.htmlUrl);
    expect(payload.issue.user?.login).toBe("planwright[bot]");
    const recorded = fake.commentsOn("acme", "widgets", pull.number).at(-1);
    expect(payload.comment.id).toBe(recorded?.id);

    const response = await sendWebhook({ url: webhookUrl, secret: SECRET, event: "issue_comment", payload });
    expect(response.status).toBe(200);
    expect(outcomes.at(-1)).toMatchObject({ status: "enqueued", job: { spec: { kind: "revise", pullRequestNumber: pull.number } } });
  });

  it("builds review payloads with the webhook's lower-case state and the live head sha", async () => {
    const pull = fake.state.pullRequests.find((p) => p.repo === "acme/widgets" && p.state === "open" && p.head === BRANCH);
    if (!pull) throw new Error("expected the open pull request from the earlier tests");
    const review = await reviewSubmittedPayload(fake, {
      owner: "acme",
      repo: "widgets",
      pullNumber: pull.number,
      sender: "alice",
      state: "changes_requested",
      body: "Needs tests",
    });
    expect(review.review.state).toBe("changes_requested");
    expect(review.pull_request.head.sha).toBe(await git(bare, "rev-parse", BRANCH));
    expect(fake.state.reviews.at(-1)).toMatchObject({ id: review.review.id, state: "CHANGES_REQUESTED", user: "alice" });

    const comment = await reviewCommentPayload(fake, { owner: "acme", repo: "widgets", pullNumber: pull.number, sender: "alice", path: "health.ts", line: 1, body: "/backend rename" });
    expect(comment.comment).toMatchObject({ path: "health.ts", line: 1, body: "/backend rename", user: { login: "alice" } });
    expect(fake.state.reviewComments.at(-1)?.id).toBe(comment.comment.id);
  });
});
