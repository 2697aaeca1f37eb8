import path from "node:path";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import type { ModelClient } from "../agent/model-client.js";
import type { AgentTask, DiscussionComment } from "../agent/task.js";
import { createJsonlTranscript } from "../agent/transcript.js";
import { runWorkSession } from "../agent/work-session.js";
import type { WorkSessionEvent, WorkSessionResult } from "../agent/work-session.js";
import type { AgentDefinition } from "../agents/definition.js";
import { AgentRegistry } from "../agents/registry.js";
import type { GitHubPort, IssueDetails, PullRequest } from "../github/port.js";
import { collectFeedback } from "./collect-feedback.js";
import type { CollectedFeedback } from "./collect-feedback.js";
import { lastIterationTime, publishRevision } from "./publish-revision.js";
import type { JobOutcome, JobQueue } from "../queue/job-queue.js";
import type { Job } from "../queue/job.js";
import { renderPullRequestBody } from "../report/pull-request-body.js";
import type { Sandbox } from "../sandbox/sandbox.js";
import type { Phase } from "../tracking/tracking-comment.js";
import { TrackingPublisher } from "../tracking/tracking-publisher.js";
import { describeOutcome } from "../verify/run-project-command.js";
import { resolveCommands } from "../workspace/detect-commands.js";
import { branchName } from "../workspace/local-worktree.js";
import type { Checkout, Workspace } from "../workspace/workspace.js";
import { explainFailure } from "./explain-failure.js";
import { createPhaseClock, errorKindOf } from "../metrics/metrics.js";
import type { Metrics } from "../metrics/metrics.js";
import { notOwnPullRequest } from "./own-pull-request.js";
import { publishPullRequest } from "./publish-pull-request.js";
import { syncDraft, wantedDraft } from "./sync-draft.js";
import { transcriptsDir } from "./prune-transcripts.js";
import type { DraftSync } from "./sync-draft.js";

export interface PipelineDependencies {
  githubFor: (job: Job) => Promise<GitHubPort>;
  /** A fresh installation token for git; asked for right before each fetch and push. */
  tokenFor: (job: Job) => () => Promise<string>;
  workspace: Workspace;
  modelClient: ModelClient;
  sandbox: Sandbox;
  bundledAgents: () => Promise<AgentDefinition[]>;
  queue: Pick<JobQueue, "setTrackingComment" | "get">;
  model: string;
  fallbackModel?: string;
  dataDir: string;
  /** Removes secrets from everything posted or written. */
  redact: (text: string) => string;
  /** Commit author: the app's bot account. */
  botIdentity: (job: Job) => Promise<{ name: string; email: string }>;
  log: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  now?: () => number;
  /** Minimum time between tracking-comment edits while the agent works (GitHub rate limits). */
  progressIntervalMs?: number;
  metrics?: Pick<Metrics, "runDuration" | "tokens" | "costUsd" | "errors">;
}

/**
 * Issue → pull request for one job: checkout, agent, verification, publish,
 * with the tracking comment kept current and every failure explained there.
 */
export function createImplementRunner(deps: PipelineDependencies) {
  return async (job: Job, { signal }: { signal: AbortSignal }): Promise<JobOutcome> => {
    const now = deps.now ?? Date.now;
    const github = await deps.githubFor(job);
    const tracking = new TrackingPublisher(github, deps.queue, job, now);
    const spec = job.spec;
    const token = deps.tokenFor(job);
    const transcriptPath = path.join(transcriptsDir(deps.dataDir), `${job.id}.jsonl`);
    const transcript = createJsonlTranscript(transcriptPath, job.id, deps.redact);
    let phase: Phase = "checkout";
    let checkout: Checkout | undefined;
    const clock = deps.metrics ? createPhaseClock(deps.metrics, now) : undefined;
    const home = await mkdtemp(path.join(os.tmpdir(), "planwright-home-"));
    const update = (change: Parameters<TrackingPublisher["update"]>[0]) =>
      tracking.update(change).catch((error: unknown) => deps.log.warn({ err: error, jobId: job.id }, "tracking comment update failed"));

    try {
      // Progress is shown without waiting for GitHub; only final states are awaited.
      void update({ status: "running", phase });
      clock?.enter("checkout");
      const { registry } = await AgentRegistry.forRepository(github, await deps.bundledAgents());
      const definition = registry.get(spec.agent);
      if (!definition) throw new UnsupportedJobError(`the agent \`${spec.agent}\` no longer exists on the default branch`);
      const author = await deps.botIdentity(job);
      const prefix = spec.config.pull_request.branch_prefix;

      // A revise run works on its pull request; an implement run on an issue whose pull request is
      // still open continues that pull request instead of starting over.
      let issue: IssueDetails | undefined;
      let pullRequest: PullRequest | undefined;
      if (spec.kind === "revise" && spec.pullRequestNumber !== null) {
        pullRequest = await github.getPullRequest(spec.pullRequestNumber);
        // The trigger checked the webhook's copy; this run pushes to what GitHub says now.
        const foreign = notOwnPullRequest(pullRequest, author.name);
        if (foreign) throw new UnsupportedJobError(`planwright only revises its own pull requests, and on #${pullRequest.number} ${foreign}`);
        const linked = spec.issueNumber ?? closedIssueIn(pullRequest.body);
        issue = linked === null ? undefined : await github.getIssue(linked).catch(() => undefined);
      } else if (spec.issueNumber !== null) {
        // The text as it was asked for (the agent's task, the branch and the pull request title); the state is live.
        issue = issueAsRequested(await github.getIssue(spec.issueNumber), job, deps.log);
        if (issue.state === "closed") throw new UnsupportedJobError(`issue #${issue.number} was closed before the run started`);
        pullRequest = await existingPullRequest(github, prefix, issue.number, author.name, (pull, reason) =>
          deps.log.info({ jobId: job.id, pullRequest: pull.number }, `not continuing pull request #${pull.number}: ${reason}`),
        );
      } else {
        throw new UnsupportedJobError("the job names neither an issue nor a pull request");
      }
      if (pullRequest && pullRequest.state !== "open") {
        throw new UnsupportedJobError(
          `pull request #${pullRequest.number} is ${pullRequest.merged ? "merged" : "closed"}, and planwright only revises open pull requests`,
        );
      }
      const feedback = pullRequest
        ? await collectFeedback(github, {
            pullNumber: pullRequest.number,
            since: lastIterationTime(pullRequest.body),
            triggeredAt: job.createdAt,
            botLogin: author.name,
            command: spec.command,
            config: spec.config,
          })
        : undefined;
      if (pullRequest && feedback && spec.kind === "revise" && !feedback.text.trim() && !spec.instructions.trim()) {
        const reason = `there is no new feedback on #${pullRequest.number} from people with ${spec.config.permission} access since the last iteration.`;
        await update({ status: "succeeded", phase: "queued", reason, pullRequestUrl: pullRequest.url });
        return { state: "succeeded", message: reason };
      }

      const branch = pullRequest?.headRef ?? branchName(prefix, issue!.number, issue!.title);
      checkout = await deps.workspace.checkout({
        cloneUrl: spec.repository.cloneUrl,
        repoFullName: spec.repository.fullName,
        defaultBranch: spec.repository.defaultBranch,
        branch,
        token,
        runId: job.id,
        signal,
      });
      if (checkout.emptyRepository) {
        // A pull request needs a base branch, and an empty repository has none:
        // say so now rather than after the agent spent a run's worth of tokens.
        const base = spec.repository.defaultBranch;
        const reason = `${spec.repository.fullName} has no commits yet, so there is no \`${base}\` branch to open a pull request against.`;
        await update({
          status: "failed",
          phase: "checkout",
          reason,
          nextStep: `push a first commit to \`${base}\` (a README is enough), then comment \`/${spec.command}\` here again.`,
        });
        return { state: "failed", message: reason };
      }
      const commands = await resolveCommands(spec.config.commands, checkout.path);
      const task =
        pullRequest && feedback
          ? await reviseTask(github, job, pullRequest, issue, feedback)
          : await taskFor(github, issue!, job);

      phase = "agent";
      void update({ status: "running", phase, detail: "starting" });
      const progress = progressReporter(update, () => phase, deps.progressIntervalMs ?? 15_000, now);
      const session = await runWorkSession({
        definition,
        worktree: checkout.path,
        task,
        docs: spec.config.docs,
        commands: {
          setup: commands.setup,
          test: commands.test,
          testTimeoutMs: spec.config.commands.test_timeout * 1000,
          network: spec.config.commands.network,
        },
        limits: {
          turns: spec.config.limits.turns,
          costUsd: spec.config.limits.cost_usd,
          minutes: spec.config.limits.minutes,
          fixRounds: spec.config.limits.fix_rounds,
        },
        model: spec.config.agents[spec.agent]?.model ?? spec.config.model ?? definition.model ?? deps.model,
        ...(deps.fallbackModel ? { fallbackModel: deps.fallbackModel } : {}),
        client: deps.modelClient,
        sandbox: deps.sandbox,
        transcript,
        signal,
        homeDir: home,
        sandboxPaths: checkout.sandboxPaths,
        ...(checkout.gitEnv ? { gitEnv: checkout.gitEnv } : {}),
        onEvent: (event) => {
          if (event.type === "phase") clock?.enter(event.phase === "fix" ? "agent" : event.phase);
          if (event.type === "phase" && event.phase === "verify") phase = "verify";
          if (event.type === "phase" && event.phase === "fix") phase = "agent";
          progress(event);
        },
      });

      deps.metrics?.tokens.addUsage(session.agent.model, session.agent.usage);
      deps.metrics?.costUsd.add(session.agent.model, session.agent.costUsd);
      clock?.enter("publish");
      phase = "publish";
      void update({ status: "running", phase });
      const published =
        pullRequest && feedback
          ? await publishRevision({
              github,
              workspace: deps.workspace,
              checkout,
              session,
              job,
              pullRequest,
              feedback,
              definition,
              token,
              author,
              redact: deps.redact,
              botLogin: author.name,
              now,
            })
          : await publishPullRequest({
              github,
              workspace: deps.workspace,
              checkout,
              session,
              job,
              issue: issue!,
              definition,
              token,
              author,
              redact: deps.redact,
              cancelled: session.agent.stopReason === "cancelled",
            });
      const unanswered = published.unansweredThreads ?? [];
      if (unanswered.length > 0) deps.log.warn({ jobId: job.id, threads: unanswered }, "some review threads could not be answered");
      // A new pull request got its draft state when it was opened; an existing one is brought in line here.
      const draft =
        published.pullRequest && !published.created
          ? await syncDraft(github, published.pullRequest, wantedDraft(session, spec.config.pull_request.draft, published.pushed), {
              warn: (error, message) => deps.log.warn({ jobId: job.id, pullRequest: published.pullRequest?.number, err: error }, message),
              redact: deps.redact,
            })
          : undefined;
      return await finish(update, job, session, published, draft);
    } catch (error) {
      const explained = explainFailure(error, phase, signal);
      if (!explained.cancelled) deps.metrics?.errors.inc(errorKindOf(error));
      deps.log.warn({ jobId: job.id, phase, err: error }, `run failed: ${explained.reason}`);
      await update({
        status: explained.cancelled ? "cancelled" : "failed",
        phase,
        reason: deps.redact(explained.reason),
        nextStep: explained.nextStep,
      });
      return { state: explained.cancelled ? "cancelled" : "failed", message: deps.redact(explained.reason) };
    } finally {
      clock?.stop();
      await transcript.close().catch(() => undefined);
      if (checkout) await deps.workspace.release(checkout).catch(() => undefined);
      await rm(home, { recursive: true, force: true }).catch(() => undefined);
    }
  };
}

class UnsupportedJobError extends Error {
  override name = "UnsupportedJobError";
}

async function existingPullRequest(
  github: GitHubPort,
  prefix: string,
  issue: number,
  botLogin: string,
  skipped: (pullRequest: PullRequest, reason: string) => void,
): Promise<PullRequest | undefined> {
  // Titles change; the branch is found by the issue number so a re-run lands on the same pull request.
  const open = await github.listOpenPullRequests(`${prefix}issue-${issue}`);
  const named = open.filter((p) => p.headRef === `${prefix}issue-${issue}` || p.headRef.startsWith(`${prefix}issue-${issue}-`));
  for (const pullRequest of named) {
    const reason = notOwnPullRequest(pullRequest, botLogin);
    if (reason === null) return pullRequest;
    skipped(pullRequest, reason);
  }
  return undefined;
}

/** `Closes #12` in a pull request body: the issue it implements. */
function closedIssueIn(body: string): number | null {
  const match = /\b(?:closes|fixes|resolves)\s+#(\d+)/i.exec(body);
  return match ? Number(match[1]) : null;
}

/** A revise run's task: the original issue for context, what the pull request changes, and the feedback. */
async function reviseTask(
  github: GitHubPort,
  job: Job,
  pullRequest: PullRequest,
  issue: IssueDetails | undefined,
  feedback: CollectedFeedback,
): Promise<AgentTask> {
  const files = await github.listPullRequestFiles(pullRequest.number).catch(() => []);
  const summary = files.length
    ? `The pull request currently changes:\n${files.slice(0, 100).map((f) => `- ${f.path} (${f.status}, +${f.additions} −${f.deletions})`).join("\n")}`
    : "";
  return {
    kind: "revise",
    number: issue?.number ?? pullRequest.number,
    title: issue?.title ?? pullRequest.title,
    body: issue?.body ?? "",
    comments: [],
    instructions: job.spec.instructions,
    requester: job.spec.requester,
    feedback: [summary, feedback.text].filter(Boolean).join("\n\n"),
  };
}

/**
 * The issue with the title and body it had when the run was requested. Whoever opened it may
 * lack write access and edit it while the job waits; the request was for the text the person
 * who asked saw. A job carries its own snapshot, taken when it was created: a later trigger that
 * joined it, or feedback batched into it, does not move it, just as the comment cut-off stays
 * at its `createdAt`. Jobs queued before snapshots existed, and revise runs (their webhook is
 * about the pull request, not the issue), have none and get the live text.
 */
function issueAsRequested(issue: IssueDetails, job: Job, log: PipelineDependencies["log"]): IssueDetails {
  const snapshot = job.spec.issueSnapshot;
  if (!snapshot) return issue;
  const titleEdited = snapshot.title !== issue.title;
  const bodyEdited = snapshot.body !== issue.body;
  if (titleEdited || bodyEdited) {
    // The edited text itself stays out of the log: it is untrusted and may be long.
    log.info(
      { jobId: job.id, issue: issue.number, titleEdited, bodyEdited },
      `issue #${issue.number} was edited after the run was requested; the agent gets it as it was then`,
    );
  }
  return { ...issue, title: snapshot.title, body: snapshot.body };
}

/** The issue and its discussion as of the trigger: later comments and later edits are not the maintainer's request. */
async function taskFor(github: GitHubPort, issue: IssueDetails, job: Job): Promise<AgentTask> {
  const comments: DiscussionComment[] = (await github.listIssueComments(issue.number))
    .filter((c) => c.authorType !== "Bot" && !c.body.includes("<!-- planwright:"))
    .filter((c) => !c.updatedAt || Date.parse(c.updatedAt) <= job.createdAt)
    .map((c) => ({ author: c.author, body: c.body, createdAt: c.createdAt }));
  return {
    kind: "implement",
    number: issue.number,
    title: issue.title,
    body: issue.body,
    comments,
    instructions: job.spec.instructions,
    requester: job.spec.requester,
  };
}

function progressReporter(
  update: (change: Parameters<TrackingPublisher["update"]>[0]) => Promise<void>,
  phase: () => Phase,
  intervalMs: number,
  now: () => number,
) {
  let last = 0;
  let turn = 0;
  let tool = "";
  let cost = 0;
  return (event: WorkSessionEvent) => {
    if (event.type === "turn") turn = event.turn;
    if (event.type === "tool") tool = event.name;
    if (event.type === "usage") cost = event.costUsd;
    const phaseChange = event.type === "phase";
    if (!phaseChange && now() - last < intervalMs) return;
    last = now();
    const detail =
      phase() === "verify"
        ? "running the tests"
        : event.type === "command"
          ? `\`${event.outcome.command}\` ${describeOutcome(event.outcome)}`
          : `turn ${turn}${tool ? ` · ${tool}` : ""} · $${cost.toFixed(2)}`;
    void update({ status: "running", phase: phase(), detail });
  };
}

async function finish(
  update: (change: Parameters<TrackingPublisher["update"]>[0]) => Promise<void>,
  job: Job,
  session: WorkSessionResult,
  published: Awaited<ReturnType<typeof publishPullRequest>>,
  draft: DraftSync | undefined,
): Promise<JobOutcome> {
  const stop = session.agent.stopReason;
  const failedDraft = draft?.kind === "failed" && draft.wanted ? `planwright could not convert the pull request to a draft (${draft.error})` : undefined;
  const failedReady = draft?.kind === "failed" && !draft.wanted ? `planwright could not mark the pull request ready for review (${draft.error})` : undefined;
  if (stop === "cancelled") {
    const where = published.pullRequest ? ` Partial work is on ${published.pullRequest.url}.` : published.pushed ? ` Partial work is on branch \`${published.branch}\`.` : "";
    await update({ status: "cancelled", phase: "agent", reason: `${session.agent.stopDetail}.${where}${failedDraft ? ` ${failedDraft}.` : ""}` });
    return { state: "cancelled", message: session.agent.stopDetail };
  }
  if (!published.pullRequest) {
    const reason =
      stop === "completed"
        ? "the agent finished without changing any file, so there is nothing to open a pull request for."
        : `the agent stopped (${session.agent.stopDetail}) before changing any file.`;
    await update({
      status: stop === "completed" ? "succeeded" : "failed",
      phase: "publish",
      reason,
      nextStep: "add detail to the issue (what to build, where), then trigger again.",
    });
    return { state: stop === "completed" ? "succeeded" : "failed", message: reason };
  }
  const verified = session.verification === null || session.verification.passed;
  // After a failed conversion "the pull request is a draft" would be untrue.
  const problem =
    stop !== "completed"
      ? `the agent did not finish (${session.agent.stopDetail}); ${failedDraft ?? "the pull request is a draft with its partial work"}.`
      : !verified
        ? `planwright's test run ${describeOutcome(session.verification!)}; ${failedDraft ?? "the pull request is a draft"}.`
        : undefined;
  const review = failedDraft ? "review the pull request" : "review the draft";
  await update({
    status: problem ? "failed" : "succeeded",
    phase: "publish",
    pullRequestUrl: published.pullRequest.url,
    ...(problem ? { reason: problem, nextStep: `${review}, then comment \`/${job.spec.command} <what to fix>\` on it or push fixes yourself.` } : {}),
    ...(!problem && failedReady ? { nextStep: `the pull request is still a draft: ${failedReady}. Mark it ready for review yourself.` } : {}),
  });
  const readyAgain = draft?.kind === "changed" && !draft.draft ? " and marked it ready for review" : "";
  return {
    state: problem ? "failed" : "succeeded",
    message: problem ?? `${published.created ? "opened" : "updated"} ${published.pullRequest.url}${readyAgain}${failedReady ? `; it is still a draft: ${failedReady}` : ""}`,
  };
}
