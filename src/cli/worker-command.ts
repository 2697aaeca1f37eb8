import { memoize } from "../memoize.js";
import { parseArgs } from "node:util";
import { Probot } from "probot";
import type { Logger } from "probot";
import { loadEnv } from "../config/env.js";
import type { PlanwrightEnv } from "../config/env.js";
import { ConfigurationError } from "../errors.js";
import { createHealthHandler } from "../http/health-routes.js";
import { startHealthServer } from "../http/start-health-server.js";
import type { HealthServer } from "../http/start-health-server.js";
import { createMetrics, jobCounterFor } from "../metrics/metrics.js";
import type { Metrics } from "../metrics/metrics.js";
import { createQueue, sqliteQueuePath } from "../queue/create-queue.js";
import type { CreatedQueue } from "../queue/create-queue.js";
import type { JobQueue } from "../queue/job-queue.js";
import { retainedFiles } from "../worker/retained-files.js";
import { startJobPruning } from "../queue/job-pruning.js";
import { forwardQueueEvents } from "../queue/redis-queue-events.js";
import { redactRedisUrl } from "../queue/redis-url.js";
import { WorkerPool } from "../queue/worker-pool.js";
import type { JobRunner } from "../queue/worker-pool.js";
import { createPipelineRunner } from "../worker/create-pipeline-runner.js";
import { readAppCredentials } from "./app-credentials.js";
import { readDotEnv } from "./read-dot-env.js";
import type { CliIO } from "./run-command.js";

export const WORKER_USAGE = `Usage: planwright worker [--grace-seconds N] [--allow-embedded]

Runs job workers only, no webhook server: start one webhook server (npm start,
with PLANWRIGHT_CONCURRENCY=0 if it should not run jobs itself) and as many
workers as you like on other machines, all with the same REDIS_URL.

Needs APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH): workers fetch installation
tokens to clone, push and comment. Like \`npm start\`, it reads .env from the
current directory over the environment. Runs PLANWRIGHT_CONCURRENCY jobs at once
(default 2). SIGTERM or Ctrl-C stops taking jobs and lets running ones finish;
a second signal exits at once.

Serves GET /healthz, /readyz and /metrics (the run metrics: phase durations,
tokens and cost by model, errors) on PLANWRIGHT_WORKER_PORT (default 3001;
0 serves nothing), on HOST (default localhost; 0.0.0.0 in the Docker image).
Every worker records its own runs, so Prometheus has to scrape each of them.
PLANWRIGHT_METRICS_TOKEN, when set, is the bearer token /metrics requires.

Options:
  --grace-seconds N   how long running jobs may take to finish after SIGTERM
                      (default 30); jobs still running then are stopped and
                      handed back to the queue for the next worker
  --allow-embedded    run without REDIS_URL, on the embedded SQLite queue under
                      PLANWRIGHT_DATA_DIR (only useful on the server's machine)
  --help              show this text

Exit status: 0 after a clean stop, 2 for a usage or configuration error.`;

/** What a runner factory gets: everything the real pipeline is built from. */
export interface WorkerRunnerContext {
  app: Probot;
  env: PlanwrightEnv;
  processEnv: NodeJS.ProcessEnv;
  queue: JobQueue;
  /** The app's slug (`planwright`), fetched once from GET /app. */
  appSlug: () => Promise<string>;
  log: Logger;
  /** What this worker's /metrics serves; the runner records run durations, tokens, cost and errors here. */
  metrics: Metrics;
}

export interface WorkerCommandDeps {
  /** What workers do with a job; defaults to the implement pipeline. Tests inject their own. */
  runnerFactory?: (context: WorkerRunnerContext) => Promise<JobRunner>;
  /** Redis key prefix; overrides PLANWRIGHT_REDIS_PREFIX (default `planwright`). */
  redisPrefix?: string;
  /** Default: Probot's logger, shaped by LOG_LEVEL and LOG_FORMAT like the server's. */
  log?: Logger;
  /** How often idle workers look for jobs without being woken. Default 1000. */
  pollMs?: number;
  /**
   * Overrides PLANWRIGHT_WORKER_PORT: a port (0 = no HTTP server), or
   * `"ephemeral"` for whichever free port the OS hands out, which is what
   * tests want, since test files running in parallel cannot share a fixed port.
   * The bound URL is in the startup summary line.
   */
  healthPort?: number | "ephemeral";
}

const DEFAULT_GRACE_SECONDS = 30;

/** `planwright worker`: a WorkerPool on the shared queue until SIGTERM/SIGINT. */
export async function workerCommand(argv: string[], io: CliIO, deps: WorkerCommandDeps = {}): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        "grace-seconds": { type: "string" },
        "allow-embedded": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${WORKER_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(`${WORKER_USAGE}\n`);
    return 0;
  }
  try {
    const graceMs = parseGraceSeconds(values["grace-seconds"]) * 1000;
    return await runWorkers({ graceMs, allowEmbedded: values["allow-embedded"] === true }, io, deps);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      io.stderr(`planwright worker: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

async function runWorkers(
  options: { graceMs: number; allowEmbedded: boolean },
  io: CliIO,
  deps: WorkerCommandDeps,
): Promise<number> {
  const startedAt = Date.now();
  // Like `npm start` (Probot's CLI), a .env next to the worker overrides the environment.
  const processEnv: NodeJS.ProcessEnv = { ...io.env, ...(await readDotEnv(io.cwd)) };
  const env = loadEnv(processEnv, io.cwd, { receivesWebhooks: false });
  const problems: string[] = [];
  const credentials = await readAppCredentials(processEnv, io.cwd);
  if (!credentials.ok) problems.push(...credentials.problems);
  if (!env.redisUrl && !options.allowEmbedded) {
    problems.push(
      "REDIS_URL: not set. A separate worker needs the Redis queue the webhook server writes to: without it, this " +
        `worker would open its own SQLite queue (${sqliteQueuePath(env)}) and never see the server's jobs. Set ` +
        "REDIS_URL (or PLANWRIGHT_REDIS_URL) on the server and on every worker, or pass --allow-embedded to work the embedded queue of a " +
        "server on this same machine and data directory.",
    );
  }
  if (env.concurrency === 0) {
    problems.push("PLANWRIGHT_CONCURRENCY: 0 means no workers, which leaves a worker process nothing to do; set 1 or more");
  }
  if (!credentials.ok || problems.length > 0) {
    throw new ConfigurationError("cannot start; fix these:", problems);
  }

  const app = new Probot({
    appId: credentials.appId,
    privateKey: credentials.privateKey,
    baseUrl: env.githubApiUrl,
    ...(deps.log ? { log: deps.log } : probotLogOptions(processEnv)),
  });
  await app.ready();
  const log = app.log.child({ name: "worker" });

  const queue = await createQueue(env, {
    log,
    ...(deps.redisPrefix !== undefined ? { redisPrefix: deps.redisPrefix } : {}),
  });
  let pool: WorkerPool;
  let health: HealthServer | undefined;
  try {
    const appSlug = memoize(async () => {
      const octokit = await app.auth();
      const { data } = await octokit.rest.apps.getAuthenticated();
      if (!data?.slug) throw new Error("GitHub did not return the app's slug from GET /app; check APP_ID and PRIVATE_KEY");
      return data.slug;
    });
    const metrics = createMetrics(undefined, { countJobsByState: jobCounterFor(queue) });
    const context: WorkerRunnerContext = { app, env, processEnv, queue, appSlug, log, metrics };
    const runner = await (deps.runnerFactory ?? defaultRunnerFactory)(context);
    pool = new WorkerPool({
      queue,
      concurrency: env.concurrency,
      leaseMs: env.leaseMs,
      run: runner,
      log,
      ...(deps.pollMs !== undefined ? { pollMs: deps.pollMs } : {}),
    });
    // Last, and before the pool takes a job: a port clash must stop startup
    // while there is nothing to hand back but the queue connection.
    const healthPort = deps.healthPort ?? env.workerPort;
    if (healthPort !== 0) {
      const port = healthPort === "ephemeral" ? 0 : healthPort;
      const handler = createHealthHandler({
        queue,
        dataDir: env.dataDir,
        registry: metrics.registry,
        startedAt,
        metricsToken: env.metricsToken,
        log,
      });
      // Probot's own default, so a worker is exactly as exposed as a server with the same HOST.
      const host = processEnv.HOST || "localhost";
      health = await startHealthServer(handler, { port, host }).catch((error: unknown) => {
        throw listenProblem(error, port, host);
      });
    }
  } catch (error) {
    await queue.close();
    throw error;
  }

  const stopForwarding = forwardQueueEvents(queue, pool);
  const pruning = startJobPruning({
    queue,
    retentionMs: env.jobRetentionMs,
    alsoPrune: retainedFiles(env.dataDir),
    log,
  });
  pool.start();
  io.stdout(`${summary(env, queue, pool, options.graceMs, deps.redisPrefix ?? env.redisPrefix, health)}\n`);

  await aborted(io.signal);
  io.stderr(
    `planwright worker: stopping — taking no new jobs; running ones get up to ${options.graceMs / 1000} s to finish\n`,
  );
  await pool.stop({ graceMs: options.graceMs });
  // Only now: the jobs finishing during the grace period still record into
  // /metrics, and a scrape then should see them.
  await health?.close();
  stopForwarding();
  await pruning.stop();
  await queue.close();
  io.stderr("planwright worker: stopped\n");
  return 0;
}

function defaultRunnerFactory(context: WorkerRunnerContext): Promise<JobRunner> {
  return createPipelineRunner({
    app: context.app,
    env: context.env,
    processEnv: context.processEnv,
    queue: context.queue,
    appSlug: context.appSlug,
    metrics: context.metrics,
  });
}

/** A port the worker cannot listen on is a setting to change, not a crash to debug. */
function listenProblem(error: unknown, port: number, host: string): unknown {
  const fix = "set PLANWRIGHT_WORKER_PORT to another port, or to 0 to serve no /healthz, /readyz and /metrics";
  let problem: string;
  switch ((error as NodeJS.ErrnoException).code) {
    case "EADDRINUSE":
      problem =
        `PLANWRIGHT_WORKER_PORT: port ${port} is already in use on ${host} (another worker or the webhook server ` +
        `on this host?); ${fix}`;
      break;
    case "EACCES":
      problem = `PLANWRIGHT_WORKER_PORT: this process may not listen on port ${port} (below 1024 needs root); ${fix}`;
      break;
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
      problem =
        `HOST: cannot listen on "${host}", which is no address of this machine; set HOST to one that is ` +
        "(0.0.0.0 for all interfaces) or unset it for localhost";
      break;
    default:
      return error;
  }
  return new ConfigurationError("cannot start; fix these:", [problem], { cause: error });
}

/** One line an operator can check at a glance: what runs, against which queue. */
function summary(
  env: PlanwrightEnv,
  queue: CreatedQueue,
  pool: WorkerPool,
  graceMs: number,
  prefix: string | undefined,
  health: HealthServer | undefined,
): string {
  const where =
    queue.kind === "redis" && env.redisUrl
      ? `Redis queue ${redactRedisUrl(env.redisUrl)}${prefix ? ` (prefix ${prefix})` : ""}`
      : `embedded queue ${sqliteQueuePath(env)}`;
  return (
    `planwright worker ${pool.workerId}: ${env.concurrency} job${env.concurrency === 1 ? "" : "s"} at a time from the ` +
    `${where} · lease ${env.leaseMs / 1000} s · shutdown grace ${graceMs / 1000} s · ` +
    (health ? `/healthz, /readyz, /metrics on ${health.url}` : "no HTTP server (PLANWRIGHT_WORKER_PORT=0)")
  );
}

function parseGraceSeconds(value: string | undefined): number {
  if (value === undefined) return DEFAULT_GRACE_SECONDS;
  const seconds = Number(value);
  if (value.trim() === "" || !Number.isFinite(seconds) || seconds < 0 || seconds > 3600) {
    throw new ConfigurationError(`--grace-seconds must be a number of seconds from 0 to 3600, got "${value}"`);
  }
  return seconds;
}

const PROBOT_LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

/** The server's logging variables, so worker logs look like the server's. */
function probotLogOptions(env: NodeJS.ProcessEnv): {
  logLevel: (typeof PROBOT_LOG_LEVELS)[number];
  logFormat?: "json" | "pretty";
} {
  const level = PROBOT_LOG_LEVELS.find((l) => l === env.LOG_LEVEL) ?? "info";
  const format = env.LOG_FORMAT === "json" || env.LOG_FORMAT === "pretty" ? env.LOG_FORMAT : undefined;
  return { logLevel: level, ...(format ? { logFormat: format } : {}) };
}

function aborted(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise(() => undefined);
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
