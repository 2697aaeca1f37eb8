import { randomUUID } from "node:crypto";
import type { FakeGitHubState, FakePullRequest, FakeRepository } from "./fake-github-state.js";
import { GitHubShapes } from "./fake-github-shapes.js";
import { examplePayload } from "./payloads.js";
import type { PayloadOf } from "./payloads.js";
import { signWebhook } from "./sign.js";

/*
 * Webhook deliveries that agree with the fake's state: the issue, comment or
 * review a payload describes exists in the fake (the builder records it, as
 * GitHub would have before delivering), and the repository's clone_url points
 * at the fake. Each starts from an @octokit/webhooks-examples payload so every
 * field planwright does not look at still has GitHub's shape.
 */

/** Anything carrying the fake's state: the object `startFakeGitHub` returns. */
export interface HasFakeState {
  state: FakeGitHubState;
}

export interface SendWebhookOptions {
  /** planwright's webhook URL, e.g. `http://127.0.0.1:PORT/api/github/webhooks`. */
  url: string;
  secret: string;
  /** `X-GitHub-Event`: `issues`, `issue_comment`, ... */
  event: string;
  /** `X-GitHub-Delivery`; a fresh UUID when omitted. */
  deliveryId?: string;
  payload: unknown;
}

/** Delivers a webhook the way GitHub does: JSON body signed with X-Hub-Signature-256. */
export async function sendWebhook(options: SendWebhookOptions): Promise<Response> {
  const body = JSON.stringify(options.payload);
  return fetch(options.url, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/fake",
      "x-github-event": options.event,
      "x-github-delivery": options.deliveryId ?? randomUUID(),
      "x-github-hook-installation-target-type": "integration",
      "x-github-enterprise-version": "3.17.0",
      "x-hub-signature-256": signWebhook(options.secret, body),
    },
  });
}

interface Common {
  owner: string;
  repo: string;
  /** Who did it; created in the fake if new. */
  sender: string;
  /** Defaults to the repository's installation. */
  installationId?: number;
}

export interface IssueLabeledOptions extends Common {
  issueNumber: number;
  label: string;
}

export interface IssueCommentOptions extends Common {
  /** An issue or a pull request: comments on pull requests arrive as `issue_comment` too. */
  issueNumber: number;
  body: string;
}

export interface ReviewSubmittedOptions extends Common {
  pullNumber: number;
  state: "changes_requested" | "approved" | "commented";
  body?: string;
  comments?: Array<{ path: string; line: number; body: string }>;
}

export interface ReviewCommentOptions extends Common {
  pullNumber: number;
  path: string;
  line: number;
  body: string;
}

function context(fake: HasFakeState, options: Common): { shapes: GitHubShapes; repository: FakeRepository; installation: { id: number; node_id: string } } {
  const repository = fake.state.requireRepository(options.owner, options.repo);
  const id = options.installationId ?? repository.installationId;
  fake.state.account(options.sender);
  return {
    shapes: new GitHubShapes(fake.state),
    repository,
    installation: { id, node_id: Buffer.from(`Installation:${id}`).toString("base64").replace(/=+$/, "") },
  };
}

function requirePull(fake: HasFakeState, repository: FakeRepository, number: number): FakePullRequest {
  const pull = fake.state.pullRequest(repository, number);
  if (!pull) throw new Error(`${repository.fullName} has no pull request #${number}`);
  return pull;
}

/**
 * The example's object with the fake's REST fields laid over it. Webhooks and
 * the REST API describe the same objects, but their published types differ in
 * detail (`state: string` against `"open" | "closed"`, optional against
 * nullable), so the one cast between the two lives here.
 */
function overlay<T extends object>(example: T, rest: object): T {
  return { ...example, ...rest } as T;
}

/**
 * The webhook payloads' repository object: the example's, overwritten with
 * the fake repository's REST fields (which the webhook shape shares).
 */
function repositoryPayload<R extends object>(example: R, shapes: GitHubShapes, repository: FakeRepository): R {
  return overlay(example, { ...shapes.repository(repository), custom_properties: {} });
}

/** `issues.labeled`, after adding the label to the issue in the fake. */
export async function issueLabeledPayload(fake: HasFakeState, options: IssueLabeledOptions): Promise<PayloadOf<"issues", "labeled">> {
  const { shapes, repository, installation } = context(fake, options);
  const issue = fake.state.issueOrPull(repository, options.issueNumber);
  if (!issue) throw new Error(`${repository.fullName} has no issue #${options.issueNumber}`);
  const label = fake.state.addLabel(repository, issue, options.label);
  const payload = examplePayload("issues", "labeled");
  return {
    ...payload,
    action: "labeled",
    issue: overlay(payload.issue, shapes.issue(repository, issue)),
    label: { ...shapes.label(repository, label), default: false, description: label.description },
    repository: repositoryPayload(payload.repository, shapes, repository),
    sender: shapes.user(options.sender),
    installation,
  };
}

/** `issue_comment.created`, after recording the comment in the fake. */
export async function issueCommentPayload(fake: HasFakeState, options: IssueCommentOptions): Promise<PayloadOf<"issue_comment", "created">> {
  const { shapes, repository, installation } = context(fake, options);
  const issue = fake.state.issueOrPull(repository, options.issueNumber);
  if (!issue) throw new Error(`${repository.fullName} has no issue or pull request #${options.issueNumber}`);
  const comment = fake.state.createComment(repository, issue, options.body, options.sender);
  const payload = examplePayload("issue_comment", "created");
  return {
    ...payload,
    action: "created",
    issue: overlay(payload.issue, shapes.issue(repository, issue)),
    comment: overlay(payload.comment, shapes.comment(repository, comment)),
    repository: repositoryPayload(payload.repository, shapes, repository),
    sender: shapes.user(options.sender),
    installation,
  };
}

/** `pull_request_review.submitted`, after recording the review (and its comments) in the fake. */
export async function reviewSubmittedPayload(fake: HasFakeState, options: ReviewSubmittedOptions): Promise<PayloadOf<"pull_request_review", "submitted">> {
  const { shapes, repository, installation } = context(fake, options);
  const pull = requirePull(fake, repository, options.pullNumber);
  const { review } = await fake.state.addReview({
    owner: options.owner,
    repo: options.repo,
    pullNumber: options.pullNumber,
    user: options.sender,
    state: options.state === "changes_requested" ? "CHANGES_REQUESTED" : options.state === "approved" ? "APPROVED" : "COMMENTED",
    ...(options.body === undefined ? {} : { body: options.body }),
    ...(options.comments ? { comments: options.comments } : {}),
  });
  const payload = examplePayload("pull_request_review", "submitted");
  const rest = shapes.review(repository, review);
  return {
    ...payload,
    action: "submitted",
    // Webhooks spell the review state in lower case; the REST API in upper case.
    review: overlay(payload.review, { ...rest, state: options.state, body: review.body === "" ? null : review.body }),
    pull_request: overlay(payload.pull_request, await pullRequestJson(fake, shapes, repository, pull)),
    repository: repositoryPayload(payload.repository, shapes, repository),
    sender: shapes.user(options.sender),
    installation,
  };
}

/** `pull_request_review_comment.created`, after recording the comment (filed under its own review, as GitHub does). */
export async function reviewCommentPayload(
  fake: HasFakeState,
  options: ReviewCommentOptions,
): Promise<PayloadOf<"pull_request_review_comment", "created">> {
  const { shapes, repository, installation } = context(fake, options);
  const pull = requirePull(fake, repository, options.pullNumber);
  const { comments } = await fake.state.addReview({
    owner: options.owner,
    repo: options.repo,
    pullNumber: options.pullNumber,
    user: options.sender,
    state: "COMMENTED",
    comments: [{ path: options.path, line: options.line, body: options.body }],
  });
  const comment = comments[0];
  if (!comment) throw new Error("the fake did not record the review comment");
  const payload = examplePayload("pull_request_review_comment", "created");
  return {
    ...payload,
    action: "created",
    comment: overlay(payload.comment, shapes.reviewComment(repository, comment)),
    pull_request: overlay(payload.pull_request, await pullRequestJson(fake, shapes, repository, pull)),
    repository: repositoryPayload(payload.repository, shapes, repository),
    sender: shapes.user(options.sender),
    installation,
  };
}

async function pullRequestJson(fake: HasFakeState, shapes: GitHubShapes, repository: FakeRepository, pull: FakePullRequest) {
  if (pull.state === "open") {
    pull.headSha = (await fake.state.branchSha(repository, pull.head)) ?? pull.headSha;
    pull.baseSha = (await fake.state.branchSha(repository, pull.base)) ?? pull.baseSha;
  }
  return shapes.pullRequest(repository, pull, await fake.state.compare(repository, pull.base, pull.head));
}
