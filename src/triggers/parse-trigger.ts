import { z } from "zod";
import { parseCommandLine } from "./command-line.js";
import type { Ignored, ReactionTarget, TriggerResult, TriggerRules } from "./trigger.js";

/*
 * Webhook payload → trigger. Pure: no I/O, and it never throws, because the
 * payload is untrusted input and a throw here would turn into a 500 that
 * GitHub retries. Only the fields that are read are validated; anything
 * unexpected in them becomes `{ ignored }` with a reason for the debug log.
 */

// GitHub sends `null` for an empty issue, comment or review body.
const text = z
  .string()
  .nullish()
  .transform((value) => value ?? "");
const positiveInt = z.number().int().positive();
const account = z.object({ login: z.string().min(1), type: z.string().optional() });

const issue = z.object({
  number: positiveInt,
  state: z.string(),
  locked: z.boolean().optional(),
  title: text,
  body: text,
  // Only read for comments on pull requests, where it says who opened the PR.
  user: account.nullish(),
  // Present (an object of URLs) exactly when the "issue" is a pull request.
  pull_request: z.object({}).nullish(),
});

const pullRequest = z.object({
  number: positiveInt,
  state: z.string(),
  locked: z.boolean().optional(),
  body: text,
  user: account,
  head: z.object({ ref: z.string() }).optional(),
});

const issuesLabeledEvent = z.object({ issue, label: z.object({ name: z.string() }), sender: account });
const issuesOpenedEvent = z.object({ issue, sender: account });
const issueCommentEvent = z.object({ issue, comment: z.object({ id: positiveInt, body: text }), sender: account });
const reviewEvent = z.object({
  review: z.object({ id: positiveInt, state: z.string(), body: text }),
  pull_request: pullRequest,
  sender: account,
});
const reviewCommentEvent = z.object({
  comment: z.object({
    id: positiveInt,
    body: text,
    path: z.string(),
    line: z.number().int().nullish(),
    diff_hunk: z.string().optional(),
  }),
  pull_request: pullRequest,
  sender: account,
});

type Account = z.output<typeof account>;
type Issue = z.output<typeof issue>;
type PullRequest = z.output<typeof pullRequest>;

export function parseTrigger(eventName: string, payload: unknown, rules: TriggerRules): TriggerResult {
  const action = actionOf(payload);
  const name = action === undefined ? eventName : `${eventName}.${action}`;
  switch (name) {
    case "issues.labeled":
      return fromIssueLabeled(payload, rules);
    case "issues.unlabeled":
      return fromIssueUnlabeled(payload, rules);
    case "issues.opened":
      return fromIssueOpened(payload, rules);
    case "issue_comment.created":
      return fromIssueComment(payload, rules);
    case "pull_request_review.submitted":
      return fromReview(payload, rules);
    case "pull_request_review_comment.created":
      return fromReviewComment(payload, rules);
    default:
      return ignore(`${name} is not a trigger`);
  }
}

function fromIssueLabeled(payload: unknown, rules: TriggerRules): TriggerResult {
  const parsed = issuesLabeledEvent.safeParse(payload);
  if (!parsed.success) return malformed("issues.labeled", parsed.error);
  const { issue, label, sender } = parsed.data;

  const skip = senderProblem(sender, rules);
  if (skip) return skip;
  const route = rules.agents.find((r) => r.label !== "" && r.label.toLowerCase() === label.name.toLowerCase());
  if (!route) return ignore(`label ${JSON.stringify(label.name)} is not an agent label`);
  const closed = notOpen("issue", issue);
  if (closed) return closed;

  return {
    kind: "implement",
    source: "label",
    agent: route.name,
    actor: sender.login,
    number: issue.number,
    reactTo: { type: "issue", number: issue.number },
    instructions: "",
    issue: { title: issue.title, body: issue.body },
  };
}

/** Taking the label off again withdraws the request: a job still waiting in the queue is cancelled. */
function fromIssueUnlabeled(payload: unknown, rules: TriggerRules): TriggerResult {
  const parsed = issuesLabeledEvent.safeParse(payload);
  if (!parsed.success) return malformed("issues.unlabeled", parsed.error);
  const { issue, label, sender } = parsed.data;
  const skip = senderProblem(sender, rules);
  if (skip) return skip;
  const route = rules.agents.find((r) => r.label !== "" && r.label.toLowerCase() === label.name.toLowerCase());
  if (!route) return ignore(`label "${label.name}" is not an agent label`);
  return {
    kind: "stop",
    agent: route.name,
    actor: sender.login,
    number: issue.number,
    reactTo: { type: "none" },
    onPullRequest: false,
    queuedOnly: true,
  };
}

function fromIssueOpened(payload: unknown, rules: TriggerRules): TriggerResult {
  const parsed = issuesOpenedEvent.safeParse(payload);
  if (!parsed.success) return malformed("issues.opened", parsed.error);
  const { issue, sender } = parsed.data;

  const skip = senderProblem(sender, rules);
  if (skip) return skip;
  if (!rules.autoTrigger) return ignore("auto_trigger is off");
  const text = `${issue.title}\n${issue.body}`;
  // Route order decides when several agents' words appear.
  const route = rules.agents.find((r) => r.triggerWords.some((word) => containsWord(text, word)));
  if (!route) return ignore("new issue mentions no agent's trigger words");
  const closed = notOpen("issue", issue);
  if (closed) return closed;

  return {
    kind: "implement",
    source: "auto",
    agent: route.name,
    actor: sender.login,
    number: issue.number,
    reactTo: { type: "issue", number: issue.number },
    instructions: "",
    issue: { title: issue.title, body: issue.body },
  };
}

function fromIssueComment(payload: unknown, rules: TriggerRules): TriggerResult {
  const parsed = issueCommentEvent.safeParse(payload);
  if (!parsed.success) return malformed("issue_comment.created", parsed.error);
  const { issue, comment, sender } = parsed.data;

  const skip = senderProblem(sender, rules);
  if (skip) return skip;
  const command = parseCommandLine(comment.body, rules.agents);
  if (!command) return ignore("comment does not start with an agent command");
  const reactTo: ReactionTarget = { type: "issue_comment", commentId: comment.id };
  const base = { agent: command.route.name, actor: sender.login, number: issue.number, reactTo, commentId: comment.id };

  if (issue.pull_request) {
    if (!issue.user || !sameLogin(issue.user.login, rules.appBotLogin)) {
      return ignore(`pull request #${issue.number} was not opened by planwright`);
    }
    if (command.stop) return { kind: "stop", ...base, onPullRequest: true };
    const locked = lockedProblem("pull request", issue);
    if (locked) return locked;
    return {
      kind: "revise",
      source: "pr_comment",
      ...base,
      ...closedFlag(issue),
      instructions: command.instructions,
      ...withIssueNumber(linkedIssue(undefined, issue.body)),
    };
  }

  // Stopping is always safe, so it works on a closed or locked issue too.
  if (command.stop) return { kind: "stop", ...base, onPullRequest: false };
  const closed = notOpen("issue", issue);
  if (closed) return closed;
  return {
    kind: "implement",
    source: "issue_comment",
    ...base,
    instructions: command.instructions,
    issue: { title: issue.title, body: issue.body },
  };
}

/**
 * Which agent revises after "request changes"? The pull request's head branch
 * (`planwright/issue-<n>-<slug>`) does not name the agent, and reviews carry no
 * other hint, so: the agent a `/<command>` first line in the review body names,
 * otherwise the first route. With a single agent both rules pick it.
 */
function fromReview(payload: unknown, rules: TriggerRules): TriggerResult {
  const parsed = reviewEvent.safeParse(payload);
  if (!parsed.success) return malformed("pull_request_review.submitted", parsed.error);
  const { review, pull_request: pr, sender } = parsed.data;

  const skip = senderProblem(sender, rules);
  if (skip) return skip;
  if (review.state.toLowerCase() !== "changes_requested") return ignore(`review state ${JSON.stringify(review.state)} is not changes_requested`);
  const notOurs = notPlanwrightPr(pr, rules);
  if (notOurs) return notOurs;
  const command = parseCommandLine(review.body, rules.agents);
  const route = command?.route ?? rules.agents[0];
  if (!route) return ignore("no agents are configured");

  // Reviews cannot carry reactions; the tracking comment is the acknowledgement.
  const base = { agent: route.name, actor: sender.login, number: pr.number, reactTo: { type: "none" } as const };
  if (command?.stop) return { kind: "stop", ...base, onPullRequest: true };
  if (!rules.reviseOnChangesRequested) return ignore("review.on_changes_requested is off");
  const locked = lockedProblem("pull request", pr);
  if (locked) return locked;

  return {
    kind: "revise",
    source: "review",
    ...base,
    ...closedFlag(pr),
    reviewId: review.id,
    instructions: command ? command.instructions : review.body.trim(),
    ...withIssueNumber(linkedIssue(pr.head?.ref, pr.body)),
  };
}

function fromReviewComment(payload: unknown, rules: TriggerRules): TriggerResult {
  const parsed = reviewCommentEvent.safeParse(payload);
  if (!parsed.success) return malformed("pull_request_review_comment.created", parsed.error);
  const { comment, pull_request: pr, sender } = parsed.data;

  const skip = senderProblem(sender, rules);
  if (skip) return skip;
  const command = parseCommandLine(comment.body, rules.agents);
  if (!command) return ignore("review comment does not start with an agent command");
  const notOurs = notPlanwrightPr(pr, rules);
  if (notOurs) return notOurs;

  const base = {
    agent: command.route.name,
    actor: sender.login,
    number: pr.number,
    reactTo: { type: "review_comment", commentId: comment.id } as const,
    commentId: comment.id,
  };
  if (command.stop) return { kind: "stop", ...base, onPullRequest: true };
  const locked = lockedProblem("pull request", pr);
  if (locked) return locked;

  return {
    kind: "revise",
    source: "review_comment",
    ...base,
    ...closedFlag(pr),
    instructions: command.instructions,
    location: { path: comment.path, line: comment.line ?? null, diffHunk: comment.diff_hunk ?? "" },
    ...withIssueNumber(linkedIssue(pr.head?.ref, pr.body)),
  };
}

// ---- shared checks -------------------------------------------------------

function ignore(reason: string): Ignored {
  return { ignored: reason };
}

function malformed(event: string, error: z.ZodError): Ignored {
  const first = error.issues[0];
  const where = first && first.path.length > 0 ? `: ${first.path.join(".")}` : "";
  return ignore(`malformed ${event} payload${where}`);
}

function actionOf(payload: unknown): string | undefined {
  if (typeof payload !== "object" || payload === null || !("action" in payload)) return undefined;
  return typeof payload.action === "string" ? payload.action : undefined;
}

/** Our own events would loop; other bots could be steered by anyone who can talk to them. */
function senderProblem(sender: Account, rules: TriggerRules): Ignored | null {
  if (sameLogin(sender.login, rules.appBotLogin)) return ignore("event sent by planwright itself");
  const isBot = sender.type === "Bot" || /\[bot\]$/i.test(sender.login);
  if (isBot && !rules.allowedBots.some((allowed) => sameBot(allowed, sender.login))) {
    return ignore(`bot ${sender.login} is not in allowed_bots`);
  }
  return null;
}

function notPlanwrightPr(pr: PullRequest, rules: TriggerRules): Ignored | null {
  return sameLogin(pr.user.login, rules.appBotLogin)
    ? null
    : ignore(`pull request #${pr.number} was not opened by planwright`);
}

function lockedProblem(kind: "issue" | "pull request", item: Pick<Issue, "number" | "locked">): Ignored | null {
  return item.locked === true ? ignore(`${kind} #${item.number} is locked`) : null;
}

/** A request on a closed pull request is still a request: the intake answers it with a refusal. */
function closedFlag(item: Pick<Issue, "state">): { pullRequestClosed?: true } {
  return item.state.toLowerCase() !== "open" ? { pullRequestClosed: true } : {};
}

function notOpen(kind: "issue" | "pull request", item: Pick<Issue, "number" | "state" | "locked">): Ignored | null {
  if (item.state.toLowerCase() !== "open") return ignore(`${kind} #${item.number} is ${item.state}`);
  if (item.locked === true) return ignore(`${kind} #${item.number} is locked`);
  return null;
}

// GitHub logins are case-insensitive.
function sameLogin(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

// `allowed_bots: [renovate]` is what people write as often as `renovate[bot]`.
function sameBot(allowed: string, login: string): boolean {
  const strip = (name: string) => name.trim().toLowerCase().replace(/\[bot\]$/, "");
  return strip(allowed) === strip(login);
}

/**
 * Whole-word, case-insensitive match that also works for words that start or
 * end with punctuation (`C++`, `.NET`), where `\b` would not. Spaces inside a
 * word match any run of whitespace, so `REST API` matches across a line break.
 */
export function containsWord(text: string, word: string): boolean {
  const parts = word.trim().split(/\s+/).filter((part) => part !== "");
  if (parts.length === 0) return false;
  const body = parts.map(escapeRegExp).join("\\s+");
  return new RegExp(`(?<![\\p{L}\\p{N}_])${body}(?![\\p{L}\\p{N}_])`, "iu").test(text);
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * The issue a planwright PR closes: from its `…issue-<n>-…` head branch (any
 * branch prefix), else from a `Closes #<n>` line in its body. Best effort;
 * the pipeline can still look the PR up.
 */
function linkedIssue(headRef: string | undefined, body: string): number | undefined {
  const digits =
    headRef?.match(/(?:^|\/)issue-(\d+)(?:-|$)/)?.[1] ?? body.match(/\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s+#(\d+)\b/i)?.[1];
  if (digits === undefined) return undefined;
  const n = Number(digits);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

// Leaves the key out rather than writing `issueNumber: undefined`.
function withIssueNumber(issueNumber: number | undefined): { issueNumber?: number } {
  return issueNumber === undefined ? {} : { issueNumber };
}
