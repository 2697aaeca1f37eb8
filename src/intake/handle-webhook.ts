import type { Logger } from "probot";
import type { AgentDefinition } from "../agents/definition.js";
import { AgentRegistry } from "../agents/registry.js";
import { parseRepoConfig, defaultRepoConfig, REPO_CONFIG_PATH } from "../config/repo-config.js";
import type { RepoConfig } from "../config/repo-config.js";
import { messageOf } from "../errors.js";
import type { GitHubPort } from "../github/port.js";
import { permissionAtLeast } from "../github/port.js";
import type { EnqueueResult, JobQueue } from "../queue/job-queue.js";
import { dedupeKeyFor, serialKeyFor } from "../queue/job.js";
import type { Job, JobSpec } from "../queue/job.js";
import { renderTrackingComment, trackingViewOf } from "../tracking/tracking-comment.js";
import { parseTrigger } from "../triggers/parse-trigger.js";
import { isIgnored } from "../triggers/trigger.js";
import type { AgentRoute, ImplementTrigger, ReviseTrigger, StopTrigger, TriggerRules } from "../triggers/trigger.js";
import {
  alreadyActiveComment,
  CONFIG_ERROR_MARKER,
  invalidConfigComment,
  notQueuedComment,
  closedPullRequestComment,
  nothingToStopComment,
  refusalComment,
  refusalMarker,
} from "./intake-messages.js";
import { mightTrigger } from "./might-trigger.js";
import type { TriggerHintsCache } from "./trigger-hints-cache.js";
import { repositoryFacts } from "./webhook-event.js";
import type { RepositoryFacts, WebhookEvent } from "./webhook-event.js";

/** How the intake reaches one repository; built per event from the Probot context. */
export interface RepositoryAccess {
  github: GitHubPort;
  /** Parsed `.github/planwright.yml` from the default branch, or null when absent. Throws on bad YAML. */
  loadConfig(): Promise<unknown>;
}

export interface IntakeDependencies {
  queue: JobQueue;
  bundledAgents: () => Promise<AgentDefinition[]>;
  /** `<app-slug>[bot]`, resolved once per process. */
  appBotLogin: () => Promise<string>;
  /** Called after a job is enqueued so idle workers pick it up without waiting for a poll. */
  onEnqueued?: (job: Job) => void;
  /** Called when a running job is asked to stop, so a worker in this process stops it at once. */
  onCancelRequested?: (job: Job) => void;
  log: Pick<Logger, "info" | "warn" | "debug" | "error">;
  now?: () => number;
  /** How long the webhook answer may wait for the 👀 and the tracking comment (default 1 s). */
  acknowledgeBudgetMs?: number;
  /** Skips issue events the repository's last-read config rules out, without reading it again. */
  triggerHints?: TriggerHintsCache;
}

export type IntakeOutcome =
  | { status: "ignored"; reason: string }
  | { status: "invalid-config"; problems: string[] }
  | { status: "refused"; actor: string }
  | { status: "enqueued"; job: Job }
  | { status: "duplicate-delivery"; job: Job }
  | { status: "already-active"; job: Job }
  | { status: "queued-behind"; job: Job }
  | { status: "pull-request-closed" }
  | { status: "stop-requested"; job: Job }
  | { status: "nothing-to-stop" };

/**
 * Triage one webhook: is it a trigger, may this actor trigger, is the repo's
 * config valid; then enqueue and acknowledge. Nothing slow happens here:
 * GitHub gives up on a delivery after 10 seconds.
 */
export async function handleWebhook(
  event: WebhookEvent,
  access: RepositoryAccess,
  deps: IntakeDependencies,
): Promise<IntakeOutcome> {
  const cheap = mightTrigger(event.name, event.payload);
  if (cheap !== true) return { status: "ignored", reason: cheap };
  const repo = repositoryFacts(event.payload);
  if ("missing" in repo) return { status: "ignored", reason: `payload has no ${repo.missing}` };
  const cachedSkip = deps.triggerHints?.skipReason(event.name, event.payload, repo.fullName);
  if (cachedSkip) return { status: "ignored", reason: cachedSkip };

  const appBotLogin = await deps.appBotLogin();
  const { config, problems: configProblems } = await loadRepoConfig(access);
  const { registry, problems: definitionProblems } = await AgentRegistry.forRepository(
    access.github,
    await deps.bundledAgents(),
  );
  for (const problem of definitionProblems) deps.log.warn({ repo: repo.fullName }, `agent definition skipped: ${problem}`);

  const effective = config ?? defaultRepoConfig();
  const problems = [...configProblems, ...(config ? registry.problems(config) : [])];
  // A broken definition is only worth a comment when it is why the config does not add up.
  if (problems.length) problems.push(...definitionProblems);
  const routes = registry.routes(problems.length ? defaultRepoConfig() : effective);
  const rules: TriggerRules = {
    agents: routes,
    // With a broken config we only answer explicit requests, never guess from issue text.
    autoTrigger: problems.length ? false : effective.auto_trigger,
    allowedBots: effective.allowed_bots,
    appBotLogin,
    reviseOnChangesRequested: effective.review.on_changes_requested,
  };
  deps.triggerHints?.remember(repo.fullName, routes, rules.autoTrigger);
  const trigger = parseTrigger(event.name, event.payload, rules);
  if (isIgnored(trigger)) return { status: "ignored", reason: trigger.ignored };
  const route = routes.find((r) => r.name === trigger.agent);
  if (!route) return { status: "ignored", reason: `agent ${trigger.agent} has no route` };

  // Who asked comes before what is wrong with the config: the config-error comment lists the
  // repository's settings, and someone who may not start a run gets only the polite refusal.
  // With a config that does not parse, the defaults decide (write access, no bots).
  const allowedBot = effective.allowed_bots.some((b) => b.toLowerCase() === trigger.actor.toLowerCase());
  if (!allowedBot) {
    const permission = await access.github.getPermission(trigger.actor);
    if (!permissionAtLeast(permission, effective.permission)) {
      await refuse(access.github, trigger.number, trigger.actor, effective, route);
      deps.log.info({ repo: repo.fullName, actor: trigger.actor, permission }, "trigger refused: not enough permission");
      return { status: "refused", actor: trigger.actor };
    }
  }

  if (problems.length) {
    deps.log.info({ repo: repo.fullName, problems }, "trigger refused: invalid repository config");
    await reportConfigProblems(access.github, trigger.number, invalidConfigComment(problems, repo.defaultBranch, route.command));
    await safely(deps, "reacting confused", () => access.github.addReaction(trigger.reactTo, "confused"));
    return { status: "invalid-config", problems };
  }

  if (trigger.kind === "stop") return stop(trigger, route, repo, access, deps);
  if (trigger.kind === "revise" && trigger.pullRequestClosed) {
    await access.github.createComment(trigger.number, closedPullRequestComment(route.command));
    return { status: "pull-request-closed" };
  }
  return enqueue(event, trigger, repo, effective, route, access, deps);
}

async function loadRepoConfig(access: RepositoryAccess): Promise<{ config: RepoConfig | undefined; problems: string[] }> {
  let raw: unknown;
  try {
    raw = await access.loadConfig();
  } catch (error) {
    // Probot's config loader throws on YAML it cannot parse; anything else (network) should surface.
    if (error instanceof Error && /yaml|YAML/.test(`${error.name} ${error.message}`)) {
      // Probot's message only names the URL; the cause says which line is wrong.
      const detail = error.cause instanceof Error ? error.cause.message : error.message;
      return { config: undefined, problems: [`\`${REPO_CONFIG_PATH}\` is not valid YAML: ${firstLine(detail)}`] };
    }
    throw error;
  }
  const parsed = parseRepoConfig(raw);
  return parsed.ok ? { config: parsed.config, problems: [] } : { config: undefined, problems: parsed.problems };
}

/**
 * The same problems twice on one issue are one comment: a retry before the fix lands gets
 * the 😕 reaction only. Different problems (a half-fixed file) get a new comment.
 */
async function reportConfigProblems(github: GitHubPort, number: number, body: string): Promise<void> {
  const previous = await github.findComment(number, CONFIG_ERROR_MARKER);
  if (previous?.body === body) return;
  await github.createComment(number, body);
}

async function refuse(
  github: GitHubPort,
  number: number,
  actor: string,
  config: RepoConfig,
  route: AgentRoute,
): Promise<void> {
  // One polite comment per person per issue: repeating it on every attempt would be noise.
  const marker = refusalMarker(actor);
  if (await github.findComment(number, marker)) return;
  await github.createComment(number, refusalComment(actor, config.permission, route.command, route.label));
}

async function stop(
  trigger: StopTrigger,
  route: AgentRoute,
  repo: RepositoryFacts,
  access: RepositoryAccess,
  deps: IntakeDependencies,
): Promise<IntakeOutcome> {
  // Everything of this agent on the thread: the run itself and a follow-up queued behind it,
  // plus (on an issue) revise runs of its pull request, which share the issue's serial key.
  const byKey = await deps.queue.findActiveAll(dedupeKeyFor(repo.fullName, trigger.number, trigger.agent));
  const bySerial = trigger.onPullRequest ? [] : await deps.queue.listActiveBySerialKey(serialKeyFor(repo.fullName, trigger.number));
  const targets = [...new Map([...byKey, ...bySerial].filter((j) => j.spec.agent === trigger.agent).map((j) => [j.id, j])).values()].filter(
    (j) => !trigger.queuedOnly || j.state === "queued",
  );
  if (targets.length === 0) {
    // A removed label with nothing waiting is not a request to answer.
    if (trigger.queuedOnly) return { status: "ignored", reason: "label removed, but no queued job to cancel" };
    await access.github.createComment(trigger.number, nothingToStopComment(route.command));
    return { status: "nothing-to-stop" };
  }
  const stopped: Job[] = [];
  for (const target of targets) {
    const job = (await deps.queue.cancel(target.id, trigger.actor)) ?? target;
    stopped.push(job);
    // A running job in this process learns of it at once; elsewhere, at its next lease renewal.
    if (job.state === "running") deps.onCancelRequested?.(job);
    // A queued job never reaches a worker, so its tracking comment is finished here.
    if (job.state === "cancelled" && job.spec.trackingCommentId) {
      const view = trackingViewOf(job, deps.now?.() ?? Date.now());
      const how = trigger.queuedOnly ? `@${trigger.actor} removed the \`${route.label}\` label` : `stopped by @${trigger.actor}`;
      await safely(deps, "updating the tracking comment", () =>
        access.github.updateComment(
          job.spec.trackingCommentId as number,
          renderTrackingComment({ ...view, status: "cancelled", phase: "queued", reason: `${how} before it started.` }),
        ),
      );
    }
  }
  await safely(deps, "reacting to stop", () => access.github.addReaction(trigger.reactTo, "+1"));
  deps.log.info({ jobs: stopped.map((j) => j.id), by: trigger.actor }, "stop requested");
  return { status: "stop-requested", job: stopped[0]! };
}

async function enqueue(
  event: WebhookEvent,
  trigger: ImplementTrigger | ReviseTrigger,
  repo: RepositoryFacts,
  config: RepoConfig,
  route: AgentRoute,
  access: RepositoryAccess,
  deps: IntakeDependencies,
): Promise<IntakeOutcome> {
  const spec: JobSpec = {
    kind: trigger.kind,
    installationId: repo.installationId,
    repository: {
      owner: repo.owner,
      name: repo.name,
      fullName: repo.fullName,
      cloneUrl: repo.cloneUrl,
      defaultBranch: repo.defaultBranch,
      private: repo.private,
    },
    issueNumber: trigger.kind === "implement" ? trigger.number : (trigger.issueNumber ?? null),
    pullRequestNumber: trigger.kind === "revise" ? trigger.number : null,
    agent: trigger.agent,
    command: route.command,
    instructions: trigger.instructions,
    requester: trigger.actor,
    deliveryId: event.deliveryId,
    source: trigger.source,
    reviewId: trigger.kind === "revise" ? (trigger.reviewId ?? null) : null,
    commentId: trigger.commentId ?? null,
    config,
    trackingCommentId: null,
    // A trigger that joins an active job (or feedback batched into a queued follow-up) keeps
    // that job's spec: its snapshot is from its own creation, the moment its comment filter uses too.
    issueSnapshot: trigger.kind === "implement" ? { title: trigger.issue.title, body: trigger.issue.body } : null,
  };
  let result: EnqueueResult;
  try {
    result = await deps.queue.enqueue({
      spec,
      deliveryId: event.deliveryId,
      dedupeKey: dedupeKeyFor(repo.fullName, trigger.number, trigger.agent),
      // One run at a time per issue and its pull request: they share a branch.
      serialKey: serialKeyFor(repo.fullName, spec.issueNumber ?? trigger.number),
      // Review feedback during a run waits for it, batched into one follow-up run.
      followUp: trigger.kind === "revise",
    });
  } catch (error) {
    // GitHub does not retry a failed delivery, so without this the request would vanish
    // silently. The error still goes up: the delivery shows as failed, and redelivering it
    // is safe (it is deduplicated by its id once the queue is back).
    deps.log.error({ repo: repo.fullName, number: trigger.number, err: messageOf(error) }, "could not queue a request");
    await safely(deps, "reacting confused", () => access.github.addReaction(trigger.reactTo, "confused"));
    await safely(deps, "saying the request was not queued", () => access.github.createComment(trigger.number, notQueuedComment(route.command, route.label)));
    throw error;
  }
  const log = { jobId: result.job.id, repo: repo.fullName, number: trigger.number, agent: trigger.agent };

  if (result.outcome === "already-active" && trigger.kind === "revise" && result.job.state === "queued") {
    // This feedback will be read by the follow-up run that is already waiting.
    deps.log.info(log, "feedback batched into the queued follow-up run");
    await safely(deps, "reacting 👀", () => access.github.addReaction(trigger.reactTo, "eyes"));
    return { status: "already-active", job: result.job };
  }
  if (result.outcome === "already-active") {
    deps.log.info(log, "trigger joined an active run");
    const link = result.job.spec.trackingCommentId
      ? `${repoWebUrl(event.payload)}/issues/${trigger.number}#issuecomment-${result.job.spec.trackingCommentId}`
      : undefined;
    await access.github.createComment(trigger.number, alreadyActiveComment(link, route.command));
    return { status: "already-active", job: result.job };
  }
  if (result.outcome === "duplicate-delivery" && result.job.spec.trackingCommentId !== null) {
    deps.log.info(log, "redelivered webhook ignored");
    return { status: "duplicate-delivery", job: result.job };
  }

  // The job is safe in the queue now; a failed acknowledgement must not lose it,
  // so these calls are logged rather than thrown. The worker re-creates a missing
  // tracking comment.
  const acknowledge = (async () => {
    await safely(deps, "reacting 👀", () => access.github.addReaction(trigger.reactTo, "eyes"));
    await safely(deps, "posting the tracking comment", async () => {
      const view = trackingViewOf(result.job, deps.now?.() ?? Date.now());
      const waiting = result.outcome === "queued-behind" ? { detail: "waits for the run in progress to finish" } : {};
      const comment = await access.github.createComment(trigger.number, renderTrackingComment({ ...view, ...waiting }));
      await deps.queue.setTrackingComment(result.job.id, comment.id);
      result.job.spec.trackingCommentId = comment.id;
    });
    // Workers are woken only now, so the first thing they do is edit this comment rather than race it.
    deps.onEnqueued?.(result.job);
  })();
  // Waiting buys nothing but order when GitHub is quick (the usual case: both
  // calls in well under a second). When Probot's write throttle has workers'
  // edits queued ahead (it spaces writes to one installation about a second
  // apart, comments three), the answer goes without them: the job is already
  // durable, the acknowledgement follows, and a slow answer only brings a
  // delivery closer to GitHub's 10 s limit and shows as slow in its log.
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, deps.acknowledgeBudgetMs ?? 1_000);
  });
  await Promise.race([acknowledge, budget]);
  clearTimeout(timer);
  deps.log.info(log, result.outcome === "enqueued" ? "job enqueued" : "acknowledged a redelivered job");
  return { status: result.outcome, job: result.job };
}

function repoWebUrl(payload: unknown): string {
  const url = (payload as { repository?: { html_url?: unknown } }).repository?.html_url;
  return typeof url === "string" ? url : "";
}

async function safely(deps: IntakeDependencies, what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    deps.log.warn({ err: error }, `${what} failed: ${messageOf(error)}`);
  }
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}
