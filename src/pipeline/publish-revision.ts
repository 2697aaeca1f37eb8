import { REVIEW_REPLIES_HEADING } from "../agent/prompt.js";
import type { WorkSessionResult } from "../agent/work-session.js";
import type { AgentDefinition } from "../agents/definition.js";
import type { GitHubPort, PullRequest } from "../github/port.js";
import type { Job } from "../queue/job.js";
import { iterationMarker, MAX_PR_BODY_CHARS, renderIterationSection } from "../report/pull-request-body.js";
import { redactWithin, shortenOldestFirst } from "../report/shorten-oldest-first.js";
import { neutralizeReferences } from "../security/neutralize-references.js";
import { capMarkdown } from "../report/render-report.js";
import { messageOf } from "../errors.js";
import { untouchedArtifacts } from "../workspace/setup-artifacts.js";
import type { Checkout, Workspace } from "../workspace/workspace.js";
import type { CollectedFeedback } from "./collect-feedback.js";
import { parseReviewReplies } from "./collect-feedback.js";
import type { Published } from "./publish-pull-request.js";
import { pushOrRescue } from "./push-or-rescue.js";

export interface RevisionInput {
  github: GitHubPort;
  workspace: Workspace;
  checkout: Checkout;
  session: WorkSessionResult;
  job: Job;
  pullRequest: PullRequest;
  feedback: CollectedFeedback;
  definition: AgentDefinition;
  token: () => Promise<string>;
  author: { name: string; email: string };
  redact: (text: string) => string;
  botLogin: string;
  now: () => number;
}

/** How many iterations the body already records (the first publish writes iteration 1). */
export function iterationsIn(body: string): number {
  return (body.match(/<!-- planwright:iteration \d+/g) ?? []).length;
}

/** When the last iteration was published: feedback after it is new. */
export function lastIterationTime(body: string): string | null {
  const all = [...body.matchAll(/<!-- planwright:iteration \d+ at=([^ ]+) -->/g)];
  return all.at(-1)?.[1] ?? null;
}

/**
 * Pushes a revise run's commit to the pull request's own branch, records the
 * round as "Iteration N" in the body, answers each inline comment in its
 * thread, and asks the reviewers to look again.
 */
/** GitHub caps comments at 65,536 characters; a reply is one line of the agent's, so this is generous. */
const MAX_REPLY_CHARS = 10_000;

export async function publishRevision(
  input: RevisionInput,
): Promise<Published & { iteration: number; commitSha: string | null }> {
  const { job, session, checkout, pullRequest: pr, github } = input;
  const config = job.spec.config;
  const iteration = Math.max(1, iterationsIn(pr.body)) + 1;
  const commit = await input.workspace.commit(checkout, {
    message: [
      `Address review feedback on #${pr.number} (iteration ${iteration})`,
      "",
      `Revised with the ${input.definition.name} agent (${session.agent.model}), as asked by @${job.spec.requester}.`,
      "",
      `Co-authored-by: ${job.spec.requester} <${job.spec.requester}@users.noreply.github.com>`,
    ].join("\n"),
    author: input.author,
    protectedPaths: config.protected_paths,
    excludePaths: await untouchedArtifacts(checkout.path, session.setupArtifacts),
  });
  if (commit.sha) await pushOrRescue(input.workspace, checkout, { cloneUrl: job.spec.repository.cloneUrl, token: input.token }, job.id);

  const repliesSection = session.report.extra.find((e) => e.heading.replace(/^#+\s*/, "").toLowerCase() === REVIEW_REPLIES_HEADING.slice(3).toLowerCase());
  const report = { ...session.report, extra: session.report.extra.filter((e) => e !== repliesSection) };
  const section = renderIterationSection({
    iteration,
    report,
    verification: session.verificationStatus,
    fixRoundsUsed: session.fixRoundsUsed,
    droppedPaths: commit.droppedPaths,
    protectedPaths: config.protected_paths,
    agent: session.agent,
    agentName: input.definition.name,
    runId: job.id,
    commitSha: commit.sha,
    at: new Date(input.now()).toISOString(),
  });
  // Later runs number iterations and pick new feedback by the markers, so the oldest text goes first.
  const previous = shortenOldestFirst(pr.body, Math.max(0, MAX_PR_BODY_CHARS - section.length - 4));
  await github.updatePullRequest(pr.number, { body: redactWithin(`${previous}\n\n${section}`, input.redact, MAX_PR_BODY_CHARS) });

  const unanswered: string[] = [];
  if (input.session.agent.stopReason !== "cancelled") {
    const replies = parseReviewReplies(repliesSection?.body ?? "");
    const answered = new Set<number>();
    for (const comment of input.feedback.comments) {
      const thread = comment.inReplyToId ?? comment.id;
      if (answered.has(thread)) continue;
      answered.add(thread);
      const said = replies.get(comment.id);
      const where = commit.sha ? `in ${commit.sha.slice(0, 7)}` : "without a new commit";
      const reply = said ? capMarkdown(neutralizeReferences(said), MAX_REPLY_CHARS, " …") : undefined;
      const body = reply ? `${reply}\n\n<sub>planwright, iteration ${iteration} (${where})</sub>` : `planwright worked on this in iteration ${iteration} (${where}); see the pull request description for the report.`;
      // The push and the body are done: one thread that cannot take a reply (deleted meanwhile) must not fail the run.
      await github.replyToReviewComment(pr.number, thread, input.redact(body)).catch((error: unknown) => {
        unanswered.push(`#${thread}: ${messageOf(error)}`);
      });
    }
    const reviewers = input.feedback.reviewers.filter(
      (r) => r.toLowerCase() !== input.botLogin.toLowerCase() && r.toLowerCase() !== pr.author.toLowerCase(),
    );
    await github.requestReviewers(pr.number, reviewers).catch(() => undefined);
  }
  return {
    branch: checkout.branch,
    pushed: Boolean(commit.sha),
    pullRequest: pr,
    created: false,
    droppedPaths: commit.droppedPaths,
    iteration,
    commitSha: commit.sha,
    unansweredThreads: unanswered,
  };
}

export { iterationMarker };
