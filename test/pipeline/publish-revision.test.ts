import { describe, expect, it } from "vitest";
import type { AgentRunResult } from "../../src/agent/agent-loop.js";
import { EMPTY_USAGE } from "../../src/agent/pricing.js";
import type { WorkSessionResult } from "../../src/agent/work-session.js";
import type { PullRequest } from "../../src/github/port.js";
import { iterationsIn, lastIterationTime, publishRevision } from "../../src/pipeline/publish-revision.js";
import type { Job } from "../../src/queue/job.js";
import { parseReport } from "../../src/report/parse-report.js";
import { MAX_PR_BODY_CHARS, renderIterationSection, renderPullRequestBody } from "../../src/report/pull-request-body.js";
import type { Checkout, Workspace } from "../../src/workspace/workspace.js";
import { FakeGitHub } from "../helpers/fake-github.js";
import { makeJobSpec } from "../helpers/job-spec.js";
import { testDefinition } from "../helpers/agent-definition.js";

const DEFINITION = testDefinition({ name: "backend-engineer", description: "Backend work." });

const CHECKOUT: Checkout = {
  path: "/nonexistent/worktree",
  branch: "planwright/issue-12-health",
  baseSha: "a".repeat(40),
  branchExisted: true,
  emptyRepository: false,
  sandboxPaths: { readOnly: [], writable: [] },
};

const workspace: Workspace = {
  checkout: async () => CHECKOUT,
  commit: async () => ({ sha: "b".repeat(40), droppedPaths: [], changedPaths: ["health.js"] }),
  push: async () => undefined,
  release: async () => undefined,
};

const time = (hour: number) => Date.UTC(2030, 0, 1, hour);

/** A report of about `chars` characters, so bodies reach GitHub's limit. */
function reportText(label: string, chars: number): string {
  return `## Implemented\n${`- [x] ${label}\n`.repeat(Math.ceil(chars / (label.length + 7)))}\n## Tests\n- [x] npm test\n\n## Promises Verified\n- [x] health\n\n## Notes\n- none`;
}

function agent(finalText: string): AgentRunResult {
  return { finalText, stopReason: "completed", stopDetail: "done", turns: 4, usage: EMPTY_USAGE, costUsd: 0.2, costIsEstimate: false, durationMs: 60_000, model: "claude-sonnet-5-5", messages: [] };
}

function session(finalText: string): WorkSessionResult {
  return {
    report: parseReport(finalText),
    agent: agent(finalText),
    setup: null,
    verificationStatus: { kind: "no_test_command" },
    verification: null,
    fixRoundsUsed: 0,
    missingDocs: [],
    setupArtifacts: new Map(),
  };
}

const common = { fixRoundsUsed: 0, droppedPaths: [], protectedPaths: [], agentName: "backend-engineer", runId: "run-0123456789", missingDocs: [] };

/** Planwright's own first publish with a report at the cap, then one revise round. */
function bodyNearTheCap(): string {
  const first = renderPullRequestBody({
    ...common,
    report: parseReport(reportText("first publish", MAX_PR_BODY_CHARS)),
    verification: { kind: "no_test_command" },
    issueNumber: 12,
    agent: agent(""),
    at: new Date(time(1)).toISOString(),
  });
  const second = renderIterationSection({
    ...common,
    iteration: 2,
    report: parseReport(reportText("iteration two", 10_000)),
    verification: { kind: "no_test_command" },
    agent: agent(""),
    commitSha: "c".repeat(40),
    at: new Date(time(2)).toISOString(),
  });
  return `${first}\n\n${second}`;
}

async function revise(github: FakeGitHub, pr: PullRequest, at: number, overrides: Partial<Parameters<typeof publishRevision>[0]> = {}) {
  return publishRevision({
    github,
    workspace,
    checkout: CHECKOUT,
    session: session(reportText(`revision at ${at}`, 19_000)),
    job: { id: `run-${at}-abcdef`, spec: makeJobSpec({ kind: "revise", issueNumber: 12, pullRequestNumber: pr.number }) } as Job,
    pullRequest: { ...pr },
    feedback: { text: "", comments: [], reviewers: [], ignoredAuthors: [], editedAfterTrigger: 0 },
    definition: DEFINITION,
    token: async () => "token",
    author: { name: "planwright", email: "planwright@users.noreply.github.com" },
    redact: (text) => text,
    botLogin: "planwright[bot]",
    now: () => at,
    ...overrides,
  });
}

describe("publishRevision near GitHub's body limit", () => {
  it("shortens the oldest text, so later runs still count every iteration and see the newest time", async () => {
    const github = new FakeGitHub();
    const pr = await github.createPullRequest({ title: "Health", body: bodyNearTheCap(), head: CHECKOUT.branch, base: "main", draft: false });
    expect(pr.body.length).toBeGreaterThan(MAX_PR_BODY_CHARS - 20_000);

    const third = await revise(github, pr, time(3));
    const body = github.pulls[0]!.body;
    expect(third.iteration).toBe(3);
    expect(body.length).toBeLessThanOrEqual(MAX_PR_BODY_CHARS);
    expect(iterationsIn(body)).toBe(3);
    expect(lastIterationTime(body)).toBe(new Date(time(3)).toISOString());
    expect(body).toContain("Closes #12");
    expect(body).toContain("Shortened to fit GitHub's size limit");
    // Iteration 2 is newer than the first publish, so the first publish gave up its text instead.
    expect(body).toContain(`- [x] iteration two\n`.repeat(100));

    const fourth = await revise(github, github.pulls[0]!, time(4));
    const after = github.pulls[0]!.body;
    expect(fourth.iteration).toBe(4);
    expect(after.length).toBeLessThanOrEqual(MAX_PR_BODY_CHARS);
    expect(iterationsIn(after)).toBe(4);
    expect(lastIterationTime(after)).toBe(new Date(time(4)).toISOString());
    expect(after.match(/<!-- planwright:iteration (\d+)/g)).toEqual([1, 2, 3, 4].map((n) => `<!-- planwright:iteration ${n}`));
  });
});

describe("renderIterationSection", () => {
  it("cuts only the report of a long round: the verdict, what was not pushed and the marker stay", () => {
    const section = renderIterationSection({
      iteration: 2,
      report: parseReport(reportText("a very long round", 24_000)),
      verification: { kind: "no_test_command" },
      fixRoundsUsed: 0,
      droppedPaths: Array.from({ length: 2000 }, (_, i) => `vendor/lib-${i}.js`),
      protectedPaths: ["vendor/**"],
      agent: agent(""),
      agentName: "backend-engineer",
      runId: "run-0123456789",
      commitSha: "c".repeat(40),
      at: new Date(time(2)).toISOString(),
    });
    expect(section.length).toBeLessThanOrEqual(20_000);
    expect(section).toContain("This iteration's report was cut to fit");
    expect(section).toContain("### Verification by planwright");
    expect(section).toMatch(/\*\*Not pushed\*\* \(protected paths\): `vendor\/lib-0\.js`.*, and 1950 more/);
    expect(lastIterationTime(section)).toBe(new Date(time(2)).toISOString());
  });
});

describe("renderPullRequestBody", () => {
  it("lists at most 50 protected files, so a vendored tree cannot push out Closes and the marker", () => {
    const body = renderPullRequestBody({
      ...common,
      droppedPaths: Array.from({ length: 2000 }, (_, i) => `vendor/some/deep/path/lib-${i}.js`),
      report: parseReport(reportText("first", 100)),
      verification: { kind: "no_test_command" },
      issueNumber: 7,
      agent: agent(""),
      at: new Date(time(1)).toISOString(),
    });
    expect(body).toContain("- …and 1950 more");
    expect(body).toContain("Closes #7");
    expect(iterationsIn(body)).toBe(1);
  });
});

describe("publishRevision: replies and redaction", () => {
  it("keeps a body within the limit when redaction makes it longer, and keeps its markers", async () => {
    const github = new FakeGitHub();
    const pr = await github.createPullRequest({ title: "Health", body: bodyNearTheCap(), head: CHECKOUT.branch, base: "main", draft: false });
    // A redactor whose replacement is longer than what it replaces.
    await revise(github, pr, time(3), { redact: (text) => text.replaceAll("- [x]", "- [x] [REDACTED-LONGER]") });
    const body = github.pulls[0]!.body;
    expect(body.length).toBeLessThanOrEqual(MAX_PR_BODY_CHARS);
    expect(iterationsIn(body)).toBe(3);
    expect(lastIterationTime(body)).toBe(new Date(time(3)).toISOString());
  });

  it("posts the other replies when one thread cannot take one, and says which", async () => {
    const github = new FakeGitHub();
    const pr = await github.createPullRequest({ title: "Health", body: "first\n\n<!-- planwright:iteration 1 at=2030-01-01T01:00:00.000Z -->", head: CHECKOUT.branch, base: "main", draft: false });
    const comment = (id: number) => ({ id, reviewId: 9, author: "alice", body: "fix", path: "a.js", line: 1, diffHunk: "@@", createdAt: "", updatedAt: "", inReplyToId: null });
    const replyTo = github.replyToReviewComment.bind(github);
    github.replyToReviewComment = async (number, thread, body) => {
      if (thread === 501) throw Object.assign(new Error("Not Found"), { status: 404 });
      return replyTo(number, thread, body);
    };
    const result = await revise(github, pr, time(3), {
      session: session(`## Review Replies\n- #501: done\n- #502: done too\n\n${reportText("round", 100)}`),
      feedback: { text: "x", comments: [comment(501), comment(502)], reviewers: ["alice"], ignoredAuthors: [], editedAfterTrigger: 0 },
    });
    expect(result.unansweredThreads).toEqual(["#501: Not Found"]);
    expect(github.replies.map((r) => r.commentId)).toEqual([502]);
    expect(github.reviewRequests).toEqual([{ pullNumber: pr.number, logins: ["alice"] }]);
  });
});
