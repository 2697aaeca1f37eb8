import { AnthropicError } from "@anthropic-ai/sdk";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { TokenUsage } from "../agent/pricing.js";
import type { IntakeOutcome } from "../intake/handle-webhook.js";
import type { JobState } from "../queue/job.js";

/** The pipeline's phases as the run-duration histogram labels them. */
export const RUN_PHASES = ["checkout", "setup", "agent", "verify", "publish"] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

export const TOKEN_KINDS = ["input", "output", "cache_read", "cache_write"] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** A webhook either got a triage decision or threw before it had one. */
export type WebhookOutcome = IntakeOutcome["status"] | "error";

/**
 * A closed list, so a new kind of failure cannot explode the label's
 * cardinality (one series per distinct message would).
 */
export const ERROR_KINDS = [
  "webhook",
  "github",
  "git",
  "model",
  "configuration",
  "missing_documents",
  "unsupported_job",
  "metrics",
  "internal",
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export type JobCounts = Partial<Record<JobState, number>>;

/**
 * What the rest of planwright records through. Nothing outside this module
 * needs prom-client: the pipeline, the intake and the CLI see only this.
 */
export interface Metrics {
  /** What `/metrics` renders; only the health handler needs it. */
  readonly registry: Registry;
  readonly runDuration: {
    observe(phase: RunPhase, seconds: number): void;
    /** Starts a clock; calling the result records the elapsed seconds and returns them. */
    startTimer(phase: RunPhase): () => number;
  };
  readonly tokens: {
    add(model: string, kind: TokenKind, count: number): void;
    /** Adds every kind of one usage record (e.g. a finished run's `session.agent.usage`). */
    addUsage(model: string, usage: TokenUsage): void;
  };
  readonly costUsd: {
    add(model: string, usd: number): void;
  };
  readonly webhookDuration: {
    observe(event: string, outcome: WebhookOutcome, seconds: number): void;
    /** Starts a clock at delivery; call the result with the outcome once triage decided. */
    startTimer(event: string): (outcome: WebhookOutcome) => number;
  };
  readonly errors: {
    inc(kind: ErrorKind): void;
  };
}

export interface CreateMetricsOptions {
  /**
   * Counts jobs per state at scrape time, so the gauge is never stale and the
   * webhook path does no bookkeeping. States left out are not reported.
   */
  countJobsByState?: () => Promise<JobCounts>;
  /** Process metrics (CPU, memory, event loop lag, GC). Default true. */
  defaultMetrics?: boolean;
}

// Phases range from a warm checkout (a second) to an agent run near the
// 45-minute default limit; the tail up to 2 h covers `limits.minutes` raised.
const RUN_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 2700, 3600, 7200];
// GitHub gives up on a delivery after 10 s; everything above that is a lost webhook.
const WEBHOOK_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Registers planwright's metrics on `registry` (a fresh one by default, so
 * two apps in one process, as in tests, never collide on prom-client's global
 * registry).
 */
export function createMetrics(registry: Registry = new Registry(), options: CreateMetricsOptions = {}): Metrics {
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  const errors = new Counter({
    name: "planwright_errors_total",
    help: "Failures by kind (webhook handling, GitHub API, git, model, configuration, ...).",
    labelNames: ["kind"] as const,
    registers: [registry],
  });

  const countJobs = options.countJobsByState;
  new Gauge({
    name: "planwright_jobs",
    help: "Jobs in the queue by state, counted when scraped.",
    labelNames: ["state"] as const,
    registers: [registry],
    ...(countJobs
      ? {
          async collect(this: Gauge<"state">) {
            // A failing queue must not take the whole scrape down with it: the
            // gauge goes missing (Prometheus reads that as "unknown") and the
            // failure is counted instead.
            this.reset();
            try {
              const counts = await countJobs();
              for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
            } catch {
              errors.inc({ kind: "metrics" });
            }
          },
        }
      : {}),
  });

  const runDuration = new Histogram({
    name: "planwright_run_phase_duration_seconds",
    help: "Time spent in each phase of a run: checkout, setup, agent, verify, publish.",
    labelNames: ["phase"] as const,
    buckets: RUN_BUCKETS,
    registers: [registry],
  });

  const tokens = new Counter({
    name: "planwright_tokens_total",
    help: "Model tokens by model and kind (input, output, cache_read, cache_write).",
    labelNames: ["model", "kind"] as const,
    registers: [registry],
  });

  const costUsd = new Counter({
    name: "planwright_cost_usd_total",
    help: "Estimated model spend in US dollars, from list prices (the invoice is authoritative).",
    labelNames: ["model"] as const,
    registers: [registry],
  });

  const webhookDuration = new Histogram({
    name: "planwright_webhook_duration_seconds",
    help: "Time from receiving a webhook to its triage decision, by event and outcome.",
    labelNames: ["event", "outcome"] as const,
    buckets: WEBHOOK_BUCKETS,
    registers: [registry],
  });

  // Counters reject negative increments by throwing; a bad figure from a
  // model response should not fail the run that reported it.
  const addCount = (counter: Counter<string>, labels: Record<string, string>, value: number) => {
    if (Number.isFinite(value) && value > 0) counter.inc(labels, value);
  };

  return {
    registry,
    runDuration: {
      observe: (phase, seconds) => runDuration.observe({ phase }, seconds),
      startTimer: (phase) => runDuration.startTimer({ phase }),
    },
    tokens: {
      add: (model, kind, count) => addCount(tokens, { model, kind }, count),
      addUsage(model, usage) {
        addCount(tokens, { model, kind: "input" }, usage.inputTokens);
        addCount(tokens, { model, kind: "output" }, usage.outputTokens);
        addCount(tokens, { model, kind: "cache_read" }, usage.cacheReadTokens);
        addCount(tokens, { model, kind: "cache_write" }, usage.cacheWriteTokens);
      },
    },
    costUsd: {
      add: (model, usd) => addCount(costUsd, { model }, usd),
    },
    webhookDuration: {
      observe: (event, outcome, seconds) => webhookDuration.observe({ event, outcome }, seconds),
      startTimer(event) {
        const end = webhookDuration.startTimer({ event });
        return (outcome) => end({ outcome });
      },
    },
    errors: {
      inc: (kind) => errors.inc({ kind }),
    },
  };
}

/**
 * Maps a thrown error to an {@link ErrorKind} by its `name`, so this module
 * need not import the pipeline's error classes (and pull the pipeline in).
 */
export function errorKindOf(error: unknown): ErrorKind {
  const name = error instanceof Error ? error.name : "";
  switch (name) {
    case "GitHubAPIError":
      return "github";
    case "GitOperationError":
    case "GitCommandError":
    case "PushRejectedError":
      return "git";
    case "ConfigurationError":
    case "AgentDefinitionError":
      return "configuration";
    case "MissingDocumentsError":
      return "missing_documents";
    case "UnsupportedJobError":
      return "unsupported_job";
    default:
      // The SDK's errors (RateLimitError, OverloadedError, ...) don't set `name`.
      return error instanceof AnthropicError ? "model" : "internal";
  }
}

/**
 * Times consecutive phases of one run: `enter(next)` closes the phase in
 * progress and opens the next, `stop()` closes the last one. Fits the
 * pipeline's event stream, which announces a phase when it starts.
 */
export function createPhaseClock(metrics: Pick<Metrics, "runDuration">, now: () => number = Date.now) {
  let current: { phase: RunPhase; since: number } | undefined;
  const close = () => {
    if (current) metrics.runDuration.observe(current.phase, Math.max(0, now() - current.since) / 1000);
    current = undefined;
  };
  return {
    enter(phase: RunPhase) {
      // A fix round goes back to "agent" while the agent is already timed; keep one span.
      if (current?.phase === phase) return;
      close();
      current = { phase, since: now() };
    },
    stop: close,
  };
}

interface ListableQueue {
  list(filter: { state?: JobState; limit?: number }): Promise<unknown[]>;
}

/**
 * Counts jobs per state through `list()` (SQLite and Redis queues both have
 * it), which caps each answer at `limit`. Only the active states by default:
 * finished jobs pile up forever, and listing them all on every scrape would
 * grow with the queue's history.
 */
export function countJobsWithList(
  queue: ListableQueue,
  states: readonly JobState[] = ["queued", "running"],
  limit = 10_000,
): () => Promise<JobCounts> {
  return async () => {
    const counts: JobCounts = {};
    for (const state of states) counts[state] = (await queue.list({ state, limit })).length;
    return counts;
  };
}

interface CountingQueue {
  countActive(): Promise<JobCounts>;
}

/**
 * How `/metrics` counts a queue typed as plain `JobQueue`: its own
 * `countActive()` when it has one (both built-in queues: a constant-cost
 * query, where listing would walk every finished job on each scrape), else
 * {@link countJobsWithList}; undefined when it can do neither.
 */
export function jobCounterFor(queue: object): (() => Promise<JobCounts>) | undefined {
  if (typeof (queue as Partial<CountingQueue>).countActive === "function") return () => (queue as CountingQueue).countActive();
  return typeof (queue as Partial<ListableQueue>).list === "function" ? countJobsWithList(queue as ListableQueue) : undefined;
}
