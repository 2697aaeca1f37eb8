import path from "node:path";
import type { ApplicationFunction, Probot } from "probot";
import { loadBundledAgents } from "./agents/bundled.js";
import { loadEnv } from "./config/env.js";
import type { PlanwrightEnv } from "./config/env.js";
import { REPO_CONFIG_PATH } from "./config/repo-config.js";
import { ConfigurationError } from "./errors.js";
import { memoize } from "./memoize.js";
import { createOctokitGitHubPort } from "./github/octokit-github-port.js";
import { handleWebhook } from "./intake/handle-webhook.js";
import type { IntakeOutcome } from "./intake/handle-webhook.js";
import type { JobQueue } from "./queue/job-queue.js";
import { createQueue } from "./queue/create-queue.js";
import { forwardQueueEvents } from "./queue/redis-queue-events.js";
import { WorkerPool } from "./queue/worker-pool.js";
import type { JobRunner } from "./queue/worker-pool.js";
import { createPipelineRunner } from "./worker/create-pipeline-runner.js";
import { createHealthHandler } from "./http/health-routes.js";
import { createMetrics, jobCounterFor } from "./metrics/metrics.js";
import { startJobPruning } from "./queue/job-pruning.js";
import { retainedFiles } from "./worker/retained-files.js";
import { TriggerHintsCache } from "./intake/trigger-hints-cache.js";
import type { Metrics } from "./metrics/metrics.js";

/** The webhook events planwright listens to; everything else is never routed to it. */
export const TRIGGER_EVENTS = ["issues", "issue_comment", "pull_request_review", "pull_request_review_comment"] as const;

export interface PlanwrightOptions {
  /** Environment to validate; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Queue to use instead of the embedded SQLite one under PLANWRIGHT_DATA_DIR. */
  queue?: JobQueue;
  /** Start in-process workers (default true). */
  startWorkers?: boolean;
  /** What workers do with a job; defaults to the implement pipeline. */
  runner?: JobRunner;
  /** Print configuration errors and exit(1) instead of throwing (the CLI entry point wants this). */
  exitOnConfigurationError?: boolean;
  /** Metrics registry to record into; a fresh one by default. */
  metrics?: Metrics;
  /** Lets tests observe every triage decision. */
  onOutcome?: (outcome: IntakeOutcome) => void;
}

export interface PlanwrightRuntime {
  env: PlanwrightEnv;
  queue: JobQueue;
  pool: WorkerPool | undefined;
  /** Stops taking jobs, lets running ones finish up to `graceMs`, closes the queue. */
  shutdown(graceMs?: number): Promise<void>;
}

/**
 * Builds the Probot application function. Wiring only: each collaborator is
 * created here (or passed in) and handed to the modules that use it.
 */
export function createPlanwrightApp(options: PlanwrightOptions = {}): {
  appFn: ApplicationFunction;
  runtime: Promise<PlanwrightRuntime>;
} {
  let resolveRuntime!: (runtime: PlanwrightRuntime) => void;
  let rejectRuntime!: (error: unknown) => void;
  const runtime = new Promise<PlanwrightRuntime>((resolve, reject) => {
    resolveRuntime = resolve;
    rejectRuntime = reject;
  });
  // Nobody may be awaiting the runtime (plain `probot run`); don't turn a boot error into an unhandled rejection twice.
  runtime.catch(() => undefined);

  const appFn: ApplicationFunction = async (app: Probot, probotOptions) => {
    const startedAt = Date.now();
    const failBoot = (error: unknown): never => {
      app.log.fatal(error instanceof Error ? error.message : String(error));
      rejectRuntime(error);
      // A stack trace under the list of what to fix only hides it.
      if (options.exitOnConfigurationError && error instanceof ConfigurationError) process.exit(1);
      throw error;
    };
    let env: PlanwrightEnv;
    try {
      env = loadEnv(options.env ?? process.env);
    } catch (error) {
      return failBoot(error);
    }
    let queue: JobQueue;
    try {
      // REDIS_URL switches to the shared Redis queue; otherwise the embedded SQLite one under the data dir.
      queue = options.queue ?? (await createQueue(env, { log: app.log.child({ name: "queue" }) }));
    } catch (error) {
      return failBoot(error);
    }
    const metrics = options.metrics ?? createMetrics(undefined, { countJobsByState: jobCounterFor(queue) });
    try {
      probotOptions.addHandler(createHealthHandler({ queue, dataDir: env.dataDir, registry: metrics.registry, startedAt, metricsToken: env.metricsToken, log: app.log }));
    } catch {
      // `probot.load()` without a server (tests, `probot receive`) has nowhere to mount routes.
    }
    const appBotLogin = memoize(async () => {
      const octokit = await app.auth();
      const { data } = await octokit.rest.apps.getAuthenticated();
      if (!data?.slug) throw new Error("GitHub did not return the app's slug from GET /app; check APP_ID and PRIVATE_KEY");
      return `${data.slug}[bot]`;
    });

    // PLANWRIGHT_CONCURRENCY=0 makes a webhook-only server.
    const workers = options.startWorkers !== false && env.concurrency > 0;
    let pool: WorkerPool | undefined;
    if (workers) {
      let runner: JobRunner;
      try {
        runner =
          options.runner ??
          (await createPipelineRunner({
            app,
            env,
            processEnv: options.env ?? process.env,
            queue,
            metrics,
            appSlug: async () => (await appBotLogin()).replace(/\[bot\]$/, ""),
          }));
      } catch (error) {
        await queue.close().catch(() => undefined);
        return failBoot(error);
      }
      pool = new WorkerPool({
        queue,
        concurrency: env.concurrency,
        leaseMs: env.leaseMs,
        run: runner,
        log: app.log.child({ name: "worker" }),
      });
    }
    pool?.start();
    // With Redis, enqueues and stop requests from other processes wake this pool at once.
    const stopForwarding = pool ? forwardQueueEvents(queue, pool) : () => undefined;
    // Where workers run; a webhook-only server leaves it to them.
    const pruning = pool
      ? startJobPruning({
          queue,
          retentionMs: env.jobRetentionMs,
          alsoPrune: retainedFiles(env.dataDir),
          log: app.log.child({ name: "queue" }),
        })
      : undefined;

    const triggerHints = new TriggerHintsCache();
    // Only to notice config and agent-definition changes; see TriggerHintsCache.
    app.on("push", async (context) => {
      triggerHints.notePush(context.payload);
    });

    app.on([...TRIGGER_EVENTS], async (context) => {
      const payload = context.payload as { repository?: unknown };
      if (!payload.repository) return;
      const repo = context.repo();
      const endTimer = metrics.webhookDuration.startTimer(context.name);
      const outcome = await handleWebhook(
        { deliveryId: context.id, name: context.name, payload: context.payload },
        {
          github: createOctokitGitHubPort(context.octokit, repo),
          // Probot reads it from the default branch, never from a PR head a contributor controls.
          loadConfig: () => context.config(path.posix.basename(REPO_CONFIG_PATH)),
        },
        {
          queue,
          bundledAgents: loadBundledAgents,
          appBotLogin,
          onEnqueued: () => pool?.notify(),
          onCancelRequested: (job) => void pool?.checkNow(job.id),
          triggerHints,
          log: context.log,
        },
      );
      endTimer(outcome.status);
      context.log.debug({ outcome: outcome.status, ...("reason" in outcome ? { reason: outcome.reason } : {}) }, "triaged");
      options.onOutcome?.(outcome);
    });

    let stopping: Promise<void> | undefined;
    resolveRuntime({
      env,
      queue,
      pool,
      shutdown(graceMs = 30_000) {
        stopping ??= (async () => {
          await pool?.stop({ graceMs });
          stopForwarding();
          await pruning?.stop();
          await queue.close();
        })();
        return stopping;
      },
    });
  };
  return { appFn, runtime };
}
