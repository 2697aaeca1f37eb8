import { describe, expect, it } from "vitest";
import type { AgentRunResult } from "../../src/agent/agent-loop.js";
import { EMPTY_USAGE } from "../../src/agent/pricing.js";
import type { WorkSessionResult } from "../../src/agent/work-session.js";
import type { AgentDefinition } from "../../src/agents/definition.js";
import type { PullRequest } from "../../src/github/port.js";
import { iterationsIn, lastIterationTime, publishRevision } from "../../src/pipeline/publish-revision.js";
import type { Job } from "../../src/queue/job.js";
import { parseReport } from "../../src/report/parse-report.js";
import { MAX_PR_BODY_CHARS, renderIterationSection, renderPullRequestBody } from "../../src/report/pull-request-body.js";
import type { Checkout, Workspace } from "../../src/workspace/workspace.js";
import { FakeGitHub } from "../helpers/fake-github.js";
import { makeJobSpec } from "../helpers/job-spec.js";

const DEFINITION: AgentDefinition = {
  name: "backend-engineer",
  description: "Backend work.",
  tools: ["Bash"],
  unsupportedTools: [],
  body: "Implement the issue.",
  triggers: [],
  reads: [],
  source: "test",
};

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

async function revise(github: FakeGitHub, pr: PullRequest, at: number) {
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
