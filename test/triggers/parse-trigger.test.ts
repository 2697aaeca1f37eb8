import { describe, expect, it } from "vitest";
import { containsWord, parseTrigger } from "../../src/triggers/parse-trigger.js";
import { isIgnored, type AgentRoute, type TriggerResult, type TriggerRules } from "../../src/triggers/trigger.js";
import { allExamplePayloads, examplePayload } from "../helpers/payloads.js";

const APP = "planwright[bot]";
const backend: AgentRoute = {
  name: "backend-engineer",
  command: "backend",
  label: "backend",
  triggerWords: ["backend", "API", "endpoint", "database", "server", "service"],
};
const frontend: AgentRoute = {
  name: "frontend-engineer",
  command: "frontend",
  label: "frontend",
  triggerWords: ["frontend", "CSS", "button"],
};

function rules(overrides: Partial<TriggerRules> = {}): TriggerRules {
  return { agents: [backend], autoTrigger: false, allowedBots: [], appBotLogin: APP, reviseOnChangesRequested: true, ...overrides };
}

function required<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) throw new Error("the example payload lacks a field this test needs");
  return value;
}

// ---- payload builders: a real example, with only the fields under test changed ----

const ISSUE = 42;
const PR = 7;
const COMMENT_ID = 9001;
const REVIEW_ID = 555;
const TITLE = "Add pagination to /users";
const BODY = "Listing users returns every row at once.";

interface Sender {
  login?: string;
  type?: string;
}

function withSender<P extends { sender: { login: string; type: string } }>(payload: P, sender: Sender): P {
  if (sender.login !== undefined) payload.sender.login = sender.login;
  if (sender.type !== undefined) payload.sender.type = sender.type;
  return payload;
}

function labeled(name: string, opts: { state?: "open" | "closed"; locked?: boolean } & Sender = {}) {
  const payload = examplePayload("issues", "labeled");
  payload.issue.number = ISSUE;
  payload.issue.title = TITLE;
  payload.issue.body = BODY;
  payload.issue.state = opts.state ?? "open";
  payload.issue.locked = opts.locked ?? false;
  payload.label = { ...required(payload.label), name };
  return withSender(payload, opts);
}

function issueComment(body: string, opts: { state?: "open" | "closed"; locked?: boolean; prAuthor?: string; prBody?: string } & Sender = {}) {
  const payload = examplePayload("issue_comment", "created");
  payload.comment.body = body;
  payload.comment.id = COMMENT_ID;
  payload.issue.state = opts.state ?? "open";
  payload.issue.locked = opts.locked ?? false;
  payload.issue.number = ISSUE;
  payload.issue.title = TITLE;
  payload.issue.body = BODY;
  if (opts.prAuthor !== undefined) {
    // The examples have no comment on a pull request; this is the shape GitHub adds.
    payload.issue.number = PR;
    payload.issue.pull_request = {
      url: "https://api.github.com/repos/Codertocat/Hello-World/pulls/7",
      html_url: "https://github.com/Codertocat/Hello-World/pull/7",
      diff_url: "https://github.com/Codertocat/Hello-World/pull/7.diff",
      patch_url: "https://github.com/Codertocat/Hello-World/pull/7.patch",
      merged_at: null,
    };
    payload.issue.user = { ...payload.issue.user, login: opts.prAuthor, type: "Bot" };
    payload.issue.body = opts.prBody ?? "## Implemented\n…\n\nCloses #42";
  }
  return withSender(payload, opts);
}

interface PrOptions extends Sender {
  prAuthor?: string;
  prState?: "open" | "closed";
  prLocked?: boolean;
  headRef?: string;
}

function review(state: string, body: string | null, opts: PrOptions = {}) {
  const payload = examplePayload("pull_request_review", "submitted");
  payload.review.id = REVIEW_ID;
  payload.review.state = state;
  payload.review.body = body;
  shapePullRequest(payload.pull_request, opts);
  return withSender(payload, opts);
}

function reviewComment(body: string, opts: PrOptions = {}) {
  const payload = examplePayload("pull_request_review_comment", "created");
  payload.comment.id = COMMENT_ID;
  payload.comment.body = body;
  payload.comment.path = "src/users.ts";
  payload.comment.line = 12;
  payload.comment.diff_hunk = "@@ -10,3 +10,4 @@\n+const x = 1;";
  shapePullRequest(payload.pull_request, opts);
  return withSender(payload, opts);
}

function shapePullRequest(
  pr: { number: number; state: "open" | "closed"; locked: boolean; user: { login: string } | null; head: { ref: string } },
  opts: PrOptions,
): void {
  pr.number = PR;
  pr.state = opts.prState ?? "open";
  pr.locked = opts.prLocked ?? false;
  required(pr.user).login = opts.prAuthor ?? APP;
  pr.head.ref = opts.headRef ?? "planwright/issue-42-add-pagination";
}

function opened(title: string, body: string | null, opts: Sender = {}) {
  const payload = examplePayload("issues", "opened");
  payload.issue.number = ISSUE;
  payload.issue.title = title;
  payload.issue.body = body;
  return withSender(payload, opts);
}

function expectIgnored(result: TriggerResult, reason: string | RegExp): void {
  expect(result).toEqual({ ignored: expect.stringMatching(reason) });
}

// ---- issues.labeled ----------------------------------------------------------

describe("issues.labeled", () => {
  it("implements when the label is an agent's label", () => {
    expect(parseTrigger("issues", labeled("backend"), rules())).toEqual({
      kind: "implement",
      source: "label",
      agent: "backend-engineer",
      actor: "Codertocat",
      number: ISSUE,
      reactTo: { type: "issue", number: ISSUE },
      instructions: "",
      issue: { title: TITLE, body: BODY },
    });
  });

  it("matches the label case-insensitively", () => {
    expect(parseTrigger("issues", labeled("BackEnd"), rules())).toMatchObject({ kind: "implement", agent: "backend-engineer" });
  });

  it("routes to the agent whose label it is", () => {
    const result = parseTrigger("issues", labeled("frontend"), rules({ agents: [backend, frontend] }));
    expect(result).toMatchObject({ kind: "implement", agent: "frontend-engineer" });
  });

  it("ignores other labels", () => {
    expectIgnored(parseTrigger("issues", labeled("bug"), rules()), /label "bug"/);
  });

  it("ignores a label that only starts with the agent's label", () => {
    expectIgnored(parseTrigger("issues", labeled("backend-later"), rules()), /not an agent label/);
  });

  it("ignores a closed issue", () => {
    expectIgnored(parseTrigger("issues", labeled("backend", { state: "closed" }), rules()), /issue #42 is closed/);
  });

  it("ignores a locked issue", () => {
    expectIgnored(parseTrigger("issues", labeled("backend", { locked: true }), rules()), /issue #42 is locked/);
  });

  it("turns removing the agent's label into a stop for a job that has not started", () => {
    const payload = examplePayload("issues", "unlabeled");
    payload.label = { ...required(payload.label), name: "backend" };
    expect(parseTrigger("issues", payload, rules())).toMatchObject({
      kind: "stop",
      agent: "backend-engineer",
      queuedOnly: true,
      onPullRequest: false,
      reactTo: { type: "none" },
    });
  });

  it("ignores removing some other label", () => {
    const payload = examplePayload("issues", "unlabeled");
    payload.label = { ...required(payload.label), name: "bug" };
    expectIgnored(parseTrigger("issues", payload, rules()), /not an agent label/);
  });
});

// ---- issue_comment.created on an issue --------------------------------------------

describe("issue_comment.created on an issue", () => {
  const implement = (instructions: string) => ({
    kind: "implement",
    source: "issue_comment",
    agent: "backend-engineer",
    actor: "Codertocat",
    number: ISSUE,
    reactTo: { type: "issue_comment", commentId: COMMENT_ID },
    commentId: COMMENT_ID,
    instructions,
    issue: { title: TITLE, body: BODY },
  });

  it("implements on a bare /backend", () => {
    expect(parseTrigger("issue_comment", issueComment("/backend"), rules())).toEqual(implement(""));
  });

  it("passes the rest of the first line and the lines below as instructions", () => {
    const body = "/backend add pagination\nUse cursor-based pagination.\n\nKeep `limit` optional.\n";
    expect(parseTrigger("issue_comment", issueComment(body), rules())).toEqual(
      implement("add pagination\nUse cursor-based pagination.\n\nKeep `limit` optional."),
    );
  });

  it("skips leading blank lines before the command", () => {
    expect(parseTrigger("issue_comment", issueComment("\n\n  \n/backend go"), rules())).toEqual(implement("go"));
  });

  it("matches the command case-insensitively", () => {
    expect(parseTrigger("issue_comment", issueComment("/BACKEND go"), rules())).toEqual(implement("go"));
  });

  it("ignores /backendx", () => {
    expectIgnored(parseTrigger("issue_comment", issueComment("/backendx go"), rules()), /does not start with an agent command/);
  });

  it("ignores a command that is not on the first line", () => {
    expectIgnored(parseTrigger("issue_comment", issueComment("Nice idea.\n/backend go"), rules()), /agent command/);
  });

  it("ignores a command inside a code block", () => {
    expectIgnored(parseTrigger("issue_comment", issueComment("```\n/backend go\n```"), rules()), /agent command/);
  });

  it("ignores an ordinary comment", () => {
    const payload = examplePayload("issue_comment", "created");
    expectIgnored(parseTrigger("issue_comment", payload, rules()), /agent command/);
  });

  it("stops on /backend stop", () => {
    expect(parseTrigger("issue_comment", issueComment("/backend stop"), rules())).toEqual({
      kind: "stop",
      agent: "backend-engineer",
      actor: "Codertocat",
      number: ISSUE,
      onPullRequest: false,
      reactTo: { type: "issue_comment", commentId: COMMENT_ID },
      commentId: COMMENT_ID,
    });
  });

  it("stops on a closed issue too", () => {
    expect(parseTrigger("issue_comment", issueComment("/backend STOP", { state: "closed" }), rules())).toMatchObject({
      kind: "stop",
      number: ISSUE,
    });
  });

  it("stops on a locked issue too", () => {
    expect(parseTrigger("issue_comment", issueComment("/backend stop", { locked: true }), rules())).toMatchObject({ kind: "stop" });
  });

  it("does not implement on a closed issue", () => {
    expectIgnored(parseTrigger("issue_comment", issueComment("/backend go", { state: "closed" }), rules()), /issue #42 is closed/);
  });

  it("does not implement on a locked issue", () => {
    expectIgnored(parseTrigger("issue_comment", issueComment("/backend go", { locked: true }), rules()), /issue #42 is locked/);
  });

  it("treats `stop` followed by more words as instructions", () => {
    expect(parseTrigger("issue_comment", issueComment("/backend stop using offsets"), rules())).toEqual(
      implement("stop using offsets"),
    );
  });

  it.each(["edited", "deleted"] as const)("ignores a comment being %s", (action) => {
    const payload = examplePayload("issue_comment", action);
    payload.comment.body = "/backend go";
    expectIgnored(parseTrigger("issue_comment", payload, rules()), new RegExp(`issue_comment\\.${action} is not a trigger`));
  });
});

// ---- issue_comment.created on a pull request -------------------------------------

describe("issue_comment.created on a pull request", () => {
  it("revises planwright's pull request", () => {
    expect(parseTrigger("issue_comment", issueComment("/backend handle empty pages\ntoo", { prAuthor: APP }), rules())).toEqual({
      kind: "revise",
      source: "pr_comment",
      agent: "backend-engineer",
      actor: "Codertocat",
      number: PR,
      reactTo: { type: "issue_comment", commentId: COMMENT_ID },
      commentId: COMMENT_ID,
      instructions: "handle empty pages\ntoo",
      issueNumber: ISSUE,
    });
  });

  it("leaves issueNumber out when the PR body does not say which issue it closes", () => {
    const result = parseTrigger("issue_comment", issueComment("/backend go", { prAuthor: APP, prBody: "no link" }), rules());
    expect(result).toMatchObject({ kind: "revise" });
    expect(result).not.toHaveProperty("issueNumber");
  });

  it("compares the PR author's login case-insensitively", () => {
    const result = parseTrigger("issue_comment", issueComment("/backend go", { prAuthor: "Planwright[bot]" }), rules());
    expect(result).toMatchObject({ kind: "revise", number: PR });
  });

  it("ignores a command on someone else's pull request", () => {
    expectIgnored(
      parseTrigger("issue_comment", issueComment("/backend go", { prAuthor: "octocat" }), rules()),
      /pull request #7 was not opened by planwright/,
    );
  });

  it("ignores stop on someone else's pull request, where nothing of ours runs", () => {
    expectIgnored(parseTrigger("issue_comment", issueComment("/backend stop", { prAuthor: "octocat" }), rules()), /not opened by planwright/);
  });

  it("ignores a pull request whose author is missing", () => {
    const payload = issueComment("/backend go", { prAuthor: APP });
    payload.issue.user = null as unknown as typeof payload.issue.user;
    expectIgnored(parseTrigger("issue_comment", payload, rules()), /not opened by planwright/);
  });

  it("stops on /backend stop", () => {
    expect(parseTrigger("issue_comment", issueComment("/backend stop", { prAuthor: APP }), rules())).toEqual({
      kind: "stop",
      agent: "backend-engineer",
      actor: "Codertocat",
      number: PR,
      onPullRequest: true,
      reactTo: { type: "issue_comment", commentId: COMMENT_ID },
      commentId: COMMENT_ID,
    });
  });

  it("flags a request on a closed pull request so the intake can refuse it, and stops there", () => {
    expect(parseTrigger("issue_comment", issueComment("/backend go", { prAuthor: APP, state: "closed" }), rules())).toMatchObject({
      kind: "revise",
      pullRequestClosed: true,
    });
    expect(parseTrigger("issue_comment", issueComment("/backend stop", { prAuthor: APP, state: "closed" }), rules())).toMatchObject({
      kind: "stop",
      onPullRequest: true,
    });
  });

  it("does not revise a locked pull request", () => {
    expectIgnored(
      parseTrigger("issue_comment", issueComment("/backend go", { prAuthor: APP, locked: true }), rules()),
      /pull request #7 is locked/,
    );
  });

  it("ignores an ordinary comment on planwright's pull request", () => {
    expectIgnored(parseTrigger("issue_comment", issueComment("LGTM", { prAuthor: APP }), rules()), /agent command/);
  });
});

// ---- pull_request_review.submitted ------------------------------------------------

describe("pull_request_review.submitted", () => {
  it("revises planwright's pull request when changes are requested", () => {
    expect(parseTrigger("pull_request_review", review("changes_requested", "Please add tests.\nAnd docs."), rules())).toEqual({
      kind: "revise",
      source: "review",
      agent: "backend-engineer",
      actor: "Codertocat",
      number: PR,
      reactTo: { type: "none" },
      reviewId: REVIEW_ID,
      instructions: "Please add tests.\nAnd docs.",
      issueNumber: ISSUE,
    });
  });

  it("reads the review state case-insensitively", () => {
    expect(parseTrigger("pull_request_review", review("CHANGES_REQUESTED", "x"), rules())).toMatchObject({ kind: "revise" });
  });

  it("uses empty instructions when the review has no body", () => {
    expect(parseTrigger("pull_request_review", review("changes_requested", null), rules())).toMatchObject({
      kind: "revise",
      instructions: "",
    });
  });

  it.each(["approved", "commented", "dismissed"])("ignores a %s review", (state) => {
    expectIgnored(parseTrigger("pull_request_review", review(state, "/backend go"), rules()), new RegExp(`"${state}" is not changes_requested`));
  });

  it("ignores changes requested on someone else's pull request", () => {
    expectIgnored(
      parseTrigger("pull_request_review", review("changes_requested", "x", { prAuthor: "octocat" }), rules()),
      /pull request #7 was not opened by planwright/,
    );
  });

  it("ignores changes requested when review.on_changes_requested is off", () => {
    expectIgnored(
      parseTrigger("pull_request_review", review("changes_requested", "x"), rules({ reviseOnChangesRequested: false })),
      /on_changes_requested is off/,
    );
  });

  it("flags changes requested on a closed pull request and ignores a locked one", () => {
    expect(parseTrigger("pull_request_review", review("changes_requested", "x", { prState: "closed" }), rules())).toMatchObject({
      kind: "revise",
      pullRequestClosed: true,
    });
    expectIgnored(parseTrigger("pull_request_review", review("changes_requested", "x", { prLocked: true }), rules()), /is locked/);
  });

  it("reads the closed issue from the head branch, whatever its prefix", () => {
    const result = parseTrigger("pull_request_review", review("changes_requested", "x", { headRef: "bots/issue-1234-fix" }), rules());
    expect(result).toMatchObject({ issueNumber: 1234 });
  });

  it("falls back to `Closes #n` in the PR body when the branch has no issue number", () => {
    const payload = review("changes_requested", "x", { headRef: "feature" });
    payload.pull_request.body = "Work.\n\nCloses #77";
    expect(parseTrigger("pull_request_review", payload, rules())).toMatchObject({ issueNumber: 77 });
  });

  describe("choosing the agent", () => {
    it("uses the only agent and strips its command from the instructions", () => {
      expect(parseTrigger("pull_request_review", review("changes_requested", "/backend add tests"), rules())).toMatchObject({
        agent: "backend-engineer",
        instructions: "add tests",
      });
    });

    it("uses the agent a /command first line names when there are several", () => {
      const result = parseTrigger(
        "pull_request_review",
        review("changes_requested", "/frontend fix the button\ncolour"),
        rules({ agents: [backend, frontend] }),
      );
      expect(result).toMatchObject({ kind: "revise", agent: "frontend-engineer", instructions: "fix the button\ncolour" });
    });

    it("falls back to the first route when there are several and no command", () => {
      const result = parseTrigger("pull_request_review", review("changes_requested", "fix it"), rules({ agents: [frontend, backend] }));
      expect(result).toMatchObject({ kind: "revise", agent: "frontend-engineer", instructions: "fix it" });
    });

    it("ignores the review when no agents are configured", () => {
      expectIgnored(parseTrigger("pull_request_review", review("changes_requested", "x"), rules({ agents: [] })), /no agents/);
    });
  });

  it("stops when the changes-requested review says /backend stop", () => {
    expect(parseTrigger("pull_request_review", review("changes_requested", "/backend stop"), rules())).toEqual({
      kind: "stop",
      agent: "backend-engineer",
      actor: "Codertocat",
      number: PR,
      onPullRequest: true,
      reactTo: { type: "none" },
    });
  });

  it("ignores a dismissed review", () => {
    const payload = examplePayload("pull_request_review", "dismissed");
    expectIgnored(parseTrigger("pull_request_review", payload, rules()), /pull_request_review\.dismissed is not a trigger/);
  });
});

// ---- pull_request_review_comment.created ------------------------------------------

describe("pull_request_review_comment.created", () => {
  it("revises planwright's pull request on /backend, with the diff location", () => {
    expect(parseTrigger("pull_request_review_comment", reviewComment("/backend rename this\nto `total`"), rules())).toEqual({
      kind: "revise",
      source: "review_comment",
      agent: "backend-engineer",
      actor: "Codertocat",
      number: PR,
      reactTo: { type: "review_comment", commentId: COMMENT_ID },
      commentId: COMMENT_ID,
      instructions: "rename this\nto `total`",
      location: { path: "src/users.ts", line: 12, diffHunk: "@@ -10,3 +10,4 @@\n+const x = 1;" },
      issueNumber: ISSUE,
    });
  });

  it("reports an outdated comment's line as null", () => {
    const payload = reviewComment("/backend go");
    payload.comment.line = null as unknown as number;
    expect(parseTrigger("pull_request_review_comment", payload, rules())).toMatchObject({
      location: { path: "src/users.ts", line: null },
    });
  });

  it("ignores a review comment without a command", () => {
    const payload = examplePayload("pull_request_review_comment", "created");
    required(payload.pull_request.user).login = APP;
    expectIgnored(parseTrigger("pull_request_review_comment", payload, rules()), /review comment does not start with an agent command/);
  });

  it("ignores a command on someone else's pull request", () => {
    expectIgnored(
      parseTrigger("pull_request_review_comment", reviewComment("/backend go", { prAuthor: "octocat" }), rules()),
      /not opened by planwright/,
    );
  });

  it("stops on /backend stop", () => {
    expect(parseTrigger("pull_request_review_comment", reviewComment("/backend stop"), rules())).toEqual({
      kind: "stop",
      agent: "backend-engineer",
      actor: "Codertocat",
      number: PR,
      onPullRequest: true,
      reactTo: { type: "review_comment", commentId: COMMENT_ID },
      commentId: COMMENT_ID,
    });
  });

  it("flags a request on a closed pull request", () => {
    expect(parseTrigger("pull_request_review_comment", reviewComment("/backend go", { prState: "closed" }), rules())).toMatchObject({
      kind: "revise",
      pullRequestClosed: true,
    });
  });

  it("ignores an edited review comment", () => {
    const payload = examplePayload("pull_request_review_comment", "edited");
    payload.comment.body = "/backend go";
    expectIgnored(parseTrigger("pull_request_review_comment", payload, rules()), /is not a trigger/);
  });
});

// ---- issues.opened (auto-trigger) ---------------------------------------------------

describe("issues.opened (auto-trigger)", () => {
  const auto = rules({ autoTrigger: true });

  it("implements when the title has a trigger word and auto-trigger is on", () => {
    expect(parseTrigger("issues", opened("Add a REST API for invoices", null), auto)).toEqual({
      kind: "implement",
      source: "auto",
      agent: "backend-engineer",
      actor: "Codertocat",
      number: ISSUE,
      reactTo: { type: "issue", number: ISSUE },
      instructions: "",
      issue: { title: "Add a REST API for invoices", body: "" },
    });
  });

  it("does nothing when auto-trigger is off", () => {
    expectIgnored(parseTrigger("issues", opened("Add a REST API for invoices", null), rules()), /auto_trigger is off/);
  });

  it("finds the word in the body", () => {
    expect(parseTrigger("issues", opened("Invoices", "We need a new endpoint."), auto)).toMatchObject({ kind: "implement" });
  });

  it("matches case-insensitively", () => {
    expect(parseTrigger("issues", opened("expose an api for invoices", ""), auto)).toMatchObject({ kind: "implement" });
  });

  it("matches only whole words: `apiary` is not `API`", () => {
    expectIgnored(parseTrigger("issues", opened("Photos of the apiary", "Bees everywhere."), auto), /no agent's trigger words/);
  });

  it("matches trigger words with spaces, across any whitespace", () => {
    const restApi = rules({ autoTrigger: true, agents: [{ ...backend, triggerWords: ["REST API"] }] });
    expect(parseTrigger("issues", opened("Add a rest api", null), restApi)).toMatchObject({ kind: "implement" });
    expect(parseTrigger("issues", opened("Add a REST\nAPI", null), restApi)).toMatchObject({ kind: "implement" });
    expectIgnored(parseTrigger("issues", opened("Add a REST APIs page", null), restApi), /no agent's trigger words/);
  });

  it("lets the first matching agent in route order win", () => {
    const both = rules({ autoTrigger: true, agents: [frontend, backend] });
    expect(parseTrigger("issues", opened("API button", null), both)).toMatchObject({ agent: "frontend-engineer" });
  });

  it("ignores a new issue without trigger words", () => {
    expectIgnored(parseTrigger("issues", examplePayload("issues", "opened"), auto), /no agent's trigger words/);
  });

  it("ignores a new issue opened by another bot", () => {
    expectIgnored(parseTrigger("issues", opened("API", null, { login: "dependabot[bot]", type: "Bot" }), auto), /bot dependabot\[bot\]/);
  });
});

describe("containsWord", () => {
  it.each([
    ["Port it to C++.", "C++", true],
    ["Port it to C.", "C++", false],
    ["Ship the .NET client", ".NET", true],
    ["a|b", "(a|b)", false],
    ["use (a|b) here", "(a|b)", true],
    ["server-side", "server", true],
    ["servers", "server", false],
    ["server_side", "server", false],
    ["anything", "   ", false],
    ["déjàvu API", "vu", false],
  ])("%j contains %j: %s", (text, word, expected) => {
    expect(containsWord(text, word)).toBe(expected);
  });
});

// ---- who sent it -----------------------------------------------------------------

describe("senders", () => {
  it("ignores planwright's own events, whatever the case of the login", () => {
    expectIgnored(parseTrigger("issues", labeled("backend", { login: APP, type: "Bot" }), rules()), /planwright itself/);
    expectIgnored(parseTrigger("issue_comment", issueComment("/backend stop", { login: "PlanWright[bot]" }), rules()), /planwright itself/);
  });

  it("ignores planwright's own events even when it is listed in allowed_bots", () => {
    expectIgnored(parseTrigger("issues", labeled("backend", { login: APP, type: "Bot" }), rules({ allowedBots: [APP] })), /planwright itself/);
  });

  it("ignores other bots", () => {
    expectIgnored(parseTrigger("issues", labeled("backend", { login: "renovate[bot]", type: "Bot" }), rules()), /bot renovate\[bot\] is not in allowed_bots/);
  });

  it("treats an account of type Bot as a bot even without the [bot] suffix", () => {
    expectIgnored(parseTrigger("issue_comment", issueComment("/backend go", { login: "ci-helper", type: "Bot" }), rules()), /not in allowed_bots/);
  });

  it("treats a login ending in [bot] as a bot even when its type says User", () => {
    expectIgnored(parseTrigger("issue_comment", issueComment("/backend go", { login: "sneaky[bot]", type: "User" }), rules()), /not in allowed_bots/);
  });

  it("accepts an allowed bot, written with or without [bot]", () => {
    const payload = () => labeled("backend", { login: "renovate[bot]", type: "Bot" });
    expect(parseTrigger("issues", payload(), rules({ allowedBots: ["renovate[bot]"] }))).toMatchObject({
      kind: "implement",
      actor: "renovate[bot]",
    });
    expect(parseTrigger("issues", payload(), rules({ allowedBots: ["Renovate"] }))).toMatchObject({ kind: "implement" });
  });

  it("does not let one allowed bot vouch for another", () => {
    expectIgnored(
      parseTrigger("issues", labeled("backend", { login: "dependabot[bot]", type: "Bot" }), rules({ allowedBots: ["renovate[bot]"] })),
      /dependabot\[bot\]/,
    );
  });

  it("ignores bots requesting changes too", () => {
    expectIgnored(
      parseTrigger("pull_request_review", review("changes_requested", "x", { login: "reviewer[bot]", type: "Bot" }), rules()),
      /not in allowed_bots/,
    );
  });
});

// ---- untrusted input ---------------------------------------------------------------

describe("malformed payloads", () => {
  const events = [
    ["issues", "labeled"],
    ["issues", "opened"],
    ["issue_comment", "created"],
    ["pull_request_review", "submitted"],
    ["pull_request_review_comment", "created"],
  ] as const;

  it.each([null, undefined, 42, "issues", [], {}, { action: 7 }])("ignores %j as the payload of every event", (payload) => {
    for (const [event] of events) {
      expectIgnored(parseTrigger(event, payload, rules({ autoTrigger: true })), /not a trigger|malformed/);
    }
  });

  it.each(events)("ignores %s.%s with an action but nothing else", (event, action) => {
    expectIgnored(parseTrigger(event, { action }, rules({ autoTrigger: true })), new RegExp(`malformed ${event}\\.${action} payload`));
  });

  it("ignores a payload without a sender", () => {
    const payload: { sender?: unknown } = labeled("backend");
    delete payload.sender;
    expectIgnored(parseTrigger("issues", payload, rules()), /malformed issues\.labeled payload: sender/);
  });

  it("ignores a sender without a login, or with an empty one", () => {
    const noLogin = labeled("backend") as unknown as { sender: { login?: unknown } };
    delete noLogin.sender.login;
    expectIgnored(parseTrigger("issues", noLogin, rules()), /sender\.login/);
    expectIgnored(parseTrigger("issues", labeled("backend", { login: "" }), rules()), /sender\.login/);
  });

  it("ignores an issue number given as a string", () => {
    const payload = labeled("backend") as unknown as { issue: { number: unknown } };
    payload.issue.number = "42";
    expectIgnored(parseTrigger("issues", payload, rules()), /malformed issues\.labeled payload: issue\.number/);
  });

  it.each([0, -1, 1.5, Number.NaN])("ignores the issue number %s", (number) => {
    const payload = issueComment("/backend go");
    payload.issue.number = number;
    expectIgnored(parseTrigger("issue_comment", payload, rules()), /issue\.number/);
  });

  it("ignores a labeled event without its label", () => {
    const payload: { label?: unknown } = labeled("backend");
    delete payload.label;
    expectIgnored(parseTrigger("issues", payload, rules()), /payload: label/);
  });

  it("ignores a comment body that is not a string", () => {
    const payload = issueComment("/backend go") as unknown as { comment: { body: unknown } };
    payload.comment.body = ["/backend go"];
    expectIgnored(parseTrigger("issue_comment", payload, rules()), /comment\.body/);
  });

  it("ignores a pull_request marker that is not an object", () => {
    const payload = issueComment("/backend go") as unknown as { issue: { pull_request: unknown } };
    payload.issue.pull_request = "yes";
    expectIgnored(parseTrigger("issue_comment", payload, rules()), /issue\.pull_request/);
  });

  it("ignores a review without a state or id", () => {
    const noState = review("changes_requested", "x") as unknown as { review: { state?: unknown } };
    delete noState.review.state;
    expectIgnored(parseTrigger("pull_request_review", noState, rules()), /review\.state/);
    const badId = review("changes_requested", "x") as unknown as { review: { id: unknown } };
    badId.review.id = "555";
    expectIgnored(parseTrigger("pull_request_review", badId, rules()), /review\.id/);
  });

  it("ignores a pull request without an author", () => {
    const payload = review("changes_requested", "x") as unknown as { pull_request: { user: unknown } };
    payload.pull_request.user = null;
    expectIgnored(parseTrigger("pull_request_review", payload, rules()), /pull_request\.user/);
  });

  it("ignores a review comment without a path", () => {
    const payload = reviewComment("/backend go") as unknown as { comment: { path?: unknown } };
    delete payload.comment.path;
    expectIgnored(parseTrigger("pull_request_review_comment", payload, rules()), /comment\.path/);
  });

  it("ignores events it does not handle", () => {
    expectIgnored(parseTrigger("push", examplePayload("push"), rules()), /^push is not a trigger$/);
    expectIgnored(parseTrigger("pull_request", examplePayload("pull_request", "opened"), rules()), /pull_request\.opened is not a trigger/);
  });

  it("never throws when any top-level field of a trigger event is removed, nulled or replaced", () => {
    const replacements: unknown[] = [null, "x", 0, [], {}];
    let checked = 0;
    for (const [event, action] of events) {
      const base = examplePayload(event, action) as unknown as Record<string, unknown>;
      for (const key of Object.keys(base)) {
        for (const value of [undefined, ...replacements]) {
          const payload = structuredClone(base);
          if (value === undefined) delete payload[key];
          else payload[key] = value;
          const result = parseTrigger(event, payload, rules({ autoTrigger: true }));
          expect(isIgnored(result) || typeof result.kind === "string").toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });
});

// ---- every example GitHub documents -----------------------------------------------------

describe("every @octokit/webhooks-examples payload", () => {
  const examples = allExamplePayloads();

  it("covers the events planwright listens to", () => {
    const names = new Set(examples.map((e) => `${e.event}.${e.action ?? ""}`));
    for (const name of ["issues.labeled", "issues.opened", "issue_comment.created", "pull_request_review.submitted", "pull_request_review_comment.created"]) {
      expect(names).toContain(name);
    }
    expect(examples.length).toBeGreaterThan(300);
  });

  it.each([
    ["auto-trigger off", rules()],
    ["auto-trigger on, Codertocat's bots allowed", rules({ autoTrigger: true, allowedBots: ["codertocat"] })],
  ])("parses every payload into a reason without throwing (%s)", (_label, ruleSet) => {
    // The stock examples never label "backend", say "/backend", request changes on
    // planwright's PR or mention a trigger word, so each must come back ignored.
    for (const { event, action, payload } of examples) {
      const result = parseTrigger(event, payload, ruleSet);
      expect(result, `${event}.${action ?? ""}`).toEqual({ ignored: expect.stringMatching(/\S/) });
    }
  });

  // The same examples, addressed to planwright, prove the schemas accept every
  // variant GitHub documents rather than only the one the builders above start from.
  const indices = (event: string, action: string) =>
    examples.filter((e) => e.event === event && e.action === action).map((_, index) => index);

  it("turns every issues.labeled example into a trigger once the label is backend", () => {
    const all = indices("issues", "labeled");
    expect(all.length).toBeGreaterThan(0);
    for (const index of all) {
      const payload = examplePayload("issues", "labeled", index);
      payload.label = { ...required(payload.label), name: "backend" };
      expect(parseTrigger("issues", payload, rules())).toMatchObject({ kind: "implement", source: "label" });
    }
  });

  it("turns every issues.opened example into a trigger once it mentions an API and auto-trigger is on", () => {
    const all = indices("issues", "opened");
    expect(all.length).toBeGreaterThan(0);
    for (const index of all) {
      const payload = examplePayload("issues", "opened", index);
      payload.issue.title = "Add an API";
      expect(parseTrigger("issues", payload, rules({ autoTrigger: true }))).toMatchObject({ kind: "implement", source: "auto" });
    }
  });

  it("turns every issue_comment.created example into a trigger once it says /backend", () => {
    const all = indices("issue_comment", "created");
    expect(all.length).toBeGreaterThan(0);
    for (const index of all) {
      const payload = examplePayload("issue_comment", "created", index);
      payload.comment.body = "/backend go";
      expect(parseTrigger("issue_comment", payload, rules())).toMatchObject({ kind: "implement", instructions: "go" });
    }
  });

  it("turns every pull_request_review.submitted example into a trigger once it requests changes on planwright's PR", () => {
    const all = indices("pull_request_review", "submitted");
    expect(all.length).toBeGreaterThan(0);
    for (const index of all) {
      const payload = examplePayload("pull_request_review", "submitted", index);
      payload.review.state = "changes_requested";
      required(payload.pull_request.user).login = APP;
      expect(parseTrigger("pull_request_review", payload, rules())).toMatchObject({ kind: "revise", source: "review" });
    }
  });

  it("turns every pull_request_review_comment.created example into a trigger once it says /backend on planwright's PR", () => {
    const all = indices("pull_request_review_comment", "created");
    expect(all.length).toBeGreaterThan(0);
    for (const index of all) {
      const payload = examplePayload("pull_request_review_comment", "created", index);
      payload.comment.body = "/backend go";
      required(payload.pull_request.user).login = APP;
      expect(parseTrigger("pull_request_review_comment", payload, rules())).toMatchObject({ kind: "revise", source: "review_comment" });
    }
  });
});
