import type { WorkSessionResult } from "../agent/work-session.js";
import type { AgentDefinition } from "../agents/definition.js";
import { GitHubAPIError } from "../errors.js";
import type { GitHubPort, IssueDetails, PullRequest } from "../github/port.js";
import type { Job } from "../queue/job.js";
import { MAX_PR_BODY_CHARS, renderPullRequestBody } from "../report/pull-request-body.js";
import { redactWithin } from "../report/shorten-oldest-first.js";
import { untouchedArtifacts } from "../workspace/setup-artifacts.js";
import type { Checkout, Workspace } from "../workspace/workspace.js";
import { pushOrRescue } from "./push-or-rescue.js";

export interface PublishInput {
  github: GitHubPort;
  workspace: Workspace;
  checkout: Checkout;
  session: WorkSessionResult;
  job: Job;
  issue: IssueDetails;
  definition: AgentDefinition;
  token: () => Promise<string>;
  author: { name: string; email: string };
  redact: (text: string) => string;
  /** A stopped run keeps its work on the branch but opens no new pull request. */
  cancelled: boolean;
}

export interface Published {
  branch: string;
  pushed: boolean;
  pullRequest: PullRequest | undefined;
  created: boolean;
  droppedPaths: string[];
  /** Review threads GitHub would not take a reply in (revise runs), as `#id: why`. */
  unansweredThreads?: string[];
}

/**
 * Commit (without protected paths), push with a fresh token, then create the
 * pull request or update the one that exists for the branch. Safe to repeat:
 * a run taken up again after a crash finds the pull request by its branch.
 */
export async function publishPullRequest(input: PublishInput): Promise<Published> {
  const { job, issue, session, checkout } = input;
  const config = job.spec.config;
  const commit = await input.workspace.commit(checkout, {
    message: commitMessage(job, issue, input.definition, session),
    author: input.author,
    protectedPaths: config.protected_paths,
    excludePaths: await untouchedArtifacts(checkout.path, session.setupArtifacts),
  });
  const branch = checkout.branch;
  // Revise runs publish elsewhere; this finds a pull request a crashed earlier attempt already opened.
  const existing = await input.github.findPullRequest(branch).then((p) => (p?.state === "open" ? p : undefined));
  if (!commit.sha && !(checkout.branchExisted && existing)) {
    return { branch, pushed: false, pullRequest: undefined, created: false, droppedPaths: commit.droppedPaths };
  }
  if (commit.sha) await pushOrRescue(input.workspace, checkout, { cloneUrl: job.spec.repository.cloneUrl, token: input.token }, job.id);

  const body = redactWithin(
    renderPullRequestBody({
      report: session.report,
      verification: session.verificationStatus,
      fixRoundsUsed: session.fixRoundsUsed,
      droppedPaths: commit.droppedPaths,
      protectedPaths: config.protected_paths,
      issueNumber: issue.number,
      agent: session.agent,
      agentName: input.definition.name,
      runId: job.id,
      missingDocs: session.missingDocs,
      at: new Date().toISOString(),
    }),
    input.redact,
    MAX_PR_BODY_CHARS,
  );
  if (existing) {
    await input.github.updatePullRequest(existing.number, { body });
    return { branch, pushed: Boolean(commit.sha), pullRequest: existing, created: false, droppedPaths: commit.droppedPaths };
  }
  if (input.cancelled) return { branch, pushed: Boolean(commit.sha), pullRequest: undefined, created: false, droppedPaths: commit.droppedPaths };

  const verified = session.verification === null || session.verification.passed;
  const draft = config.pull_request.draft || !verified || session.agent.stopReason !== "completed";
  let pullRequest: PullRequest;
  try {
    pullRequest = await input.github.createPullRequest({
      title: input.redact(issue.title),
      body,
      head: branch,
      base: job.spec.repository.defaultBranch,
      draft,
    });
  } catch (error) {
    // Another process (a crashed run taken up again) may have opened it a moment ago.
    const again = error instanceof GitHubAPIError && error.status === 422 ? await input.github.findPullRequest(branch) : undefined;
    if (!again || again.state !== "open") throw error;
    await input.github.updatePullRequest(again.number, { body });
    return { branch, pushed: Boolean(commit.sha), pullRequest: again, created: false, droppedPaths: commit.droppedPaths };
  }
  await input.github.addLabels(pullRequest.number, config.pull_request.labels);
  return { branch, pushed: Boolean(commit.sha), pullRequest, created: true, droppedPaths: commit.droppedPaths };
}

function commitMessage(job: Job, issue: IssueDetails, definition: AgentDefinition, session: WorkSessionResult): string {
  const subject = `${issue.title.replace(/\s+/g, " ").trim().slice(0, 60)} (#${issue.number})`;
  const requester = job.spec.requester;
  const verdict = session.verification
    ? `planwright ran \`${session.verification.command}\`: ${session.verification.passed ? "passed" : "failed"}.`
    : "No test command was run.";
  return [
    subject,
    "",
    `Implements #${issue.number} with the ${definition.name} agent (${session.agent.model}), as asked by @${requester}.`,
    verdict,
    "",
    `Co-authored-by: ${requester} <${requester}@users.noreply.github.com>`,
  ].join("\n");
}
