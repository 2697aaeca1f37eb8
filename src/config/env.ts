import path from "node:path";
import { z } from "zod";
import { ConfigurationError } from "../errors.js";

/** Probot's fallback secret; accepting it in production would accept forged webhooks. */
const PROBOT_DEFAULT_SECRET = "development";

/**
 * A whole-number variable; blank means `fallback`. Digits only: Number() would
 * also take "3e3", "0x10" or "1.0", none of which anyone means here.
 */
const wholeNumber = (fallback: number, valid: (n: number) => boolean, problem: (value: string) => string) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const text = value?.trim();
      if (!text) return fallback;
      const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
      if (!Number.isSafeInteger(n) || !valid(n)) {
        ctx.addIssue({ code: "custom", message: problem(value ?? "") });
        return z.NEVER;
      }
      return n;
    });

const positiveInt = (name: string, fallback: number, max: number) =>
  wholeNumber(fallback, (n) => n <= max, (value) => `${name} must be a whole number from 0 to ${max} (got "${value}")`);

/**
 * GitHub lets a maintainer redeliver a webhook up to 3 days old, and the
 * delivery id is what stops a redelivery from starting a second run; keeping
 * finished jobs for less would forget ids GitHub can still send again.
 */
export const MIN_RETENTION_DAYS = 3;

const retentionDays = wholeNumber(
  30,
  (n) => n === 0 || (n >= MIN_RETENTION_DAYS && n <= 3650),
  (value) =>
    `PLANWRIGHT_JOB_RETENTION_DAYS must be 0 (keep finished jobs forever) or a whole number of days from ` +
    `${MIN_RETENTION_DAYS} to 3650 (got "${value}"); GitHub redelivers webhooks up to ${MIN_RETENTION_DAYS} days old`,
);

const redisUrl = (name: string) =>
  z
    .string()
    .regex(/^rediss?:\/\//, `${name} must start with redis:// or rediss://`)
    .optional();

/** 3000 is the webhook server's (Probot's PORT), so a worker beside it on one host needs another. */
export const DEFAULT_WORKER_PORT = 3001;

const workerPort = wholeNumber(
  DEFAULT_WORKER_PORT,
  (n) => n <= 65535,
  (value) =>
    `PLANWRIGHT_WORKER_PORT must be a whole number from 0 to 65535 (got "${value}"): the port a planwright worker ` +
    "serves /healthz, /readyz and /metrics on, or 0 to serve none",
);

/** Short enough to guess is no protection for a port as public as the webhook URL. */
const METRICS_TOKEN_MIN_LENGTH = 16;

// The value never appears in a message: an error report or a boot log is no place for a secret.
const metricsToken = z
  .string()
  .optional()
  .transform((value, ctx) => {
    // Node strips the whitespace around a header value, so a padded token could never match.
    const token = value?.trim();
    if (!token) return undefined;
    if (token.length < METRICS_TOKEN_MIN_LENGTH) {
      ctx.addIssue({
        code: "custom",
        message:
          `PLANWRIGHT_METRICS_TOKEN must be at least ${METRICS_TOKEN_MIN_LENGTH} characters (it has ${token.length}); ` +
          "generate one with `openssl rand -hex 32`, or unset it to leave /metrics open",
      });
      return z.NEVER;
    }
    // Sent in an HTTP header, where spaces split it and non-ASCII bytes arrive re-encoded; either would never match.
    if (!/^[\x21-\x7e]+$/.test(token)) {
      ctx.addIssue({
        code: "custom",
        message: "PLANWRIGHT_METRICS_TOKEN must be printable ASCII with no spaces; generate one with `openssl rand -hex 32`",
      });
      return z.NEVER;
    }
    return token;
  });

const envSchema = z.object({
  NODE_ENV: z.string().optional(),
  APP_ID: z
    .string()
    .regex(/^\d+$/, "APP_ID must be the numeric App ID from the GitHub App's settings page")
    .optional(),
  WEBHOOK_SECRET: z.string().optional(),
  GHE_HOST: z
    .string()
    .regex(
      /^[A-Za-z0-9.-]+(:\d+)?$/,
      "GHE_HOST must be a host name such as github.example.com (no scheme, no path); set GHE_PROTOCOL for http",
    )
    .optional(),
  GHE_PROTOCOL: z.enum(["https", "http"], { message: 'GHE_PROTOCOL must be "https" or "http"' }).optional(),
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_BASE_URL: z.url({ message: "ANTHROPIC_BASE_URL must be a URL such as https://api.anthropic.com" }).optional(),
  PLANWRIGHT_MODEL: z.string().min(1).default("claude-sonnet-5-5"),
  PLANWRIGHT_FALLBACK_MODEL: z.string().min(1).optional(),
  PLANWRIGHT_DATA_DIR: z.string().min(1).default(".planwright"),
  PLANWRIGHT_CONCURRENCY: positiveInt("PLANWRIGHT_CONCURRENCY", 2, 64),
  // At least 2 s: it is renewed every third of it, and a shorter one would hand running jobs to other workers.
  PLANWRIGHT_LEASE_SECONDS: wholeNumber(60, (n) => n >= 2 && n <= 3600, (value) => `PLANWRIGHT_LEASE_SECONDS must be a whole number of seconds from 2 to 3600 (got "${value}")`),
  PLANWRIGHT_JOB_RETENTION_DAYS: retentionDays,
  PLANWRIGHT_RETRY_DELAY_SECONDS: positiveInt("PLANWRIGHT_RETRY_DELAY_SECONDS", 15, 600),
  PLANWRIGHT_SANDBOX: z
    .enum(["auto", "bwrap", "none"], { message: 'PLANWRIGHT_SANDBOX must be "auto", "bwrap" or "none"' })
    .default("auto"),
  REDIS_URL: redisUrl("REDIS_URL"),
  PLANWRIGHT_REDIS_URL: redisUrl("PLANWRIGHT_REDIS_URL"),
  // Blank means unset, as for the numeric settings.
  PLANWRIGHT_REDIS_PREFIX: z.preprocess(
    (value) => (typeof value === "string" && value.trim() === "" ? undefined : value),
    z
      .string()
      .regex(
        /^[^{}\s*?[\]]+$/,
        "PLANWRIGHT_REDIS_PREFIX must be a name without spaces, braces or glob characters, such as planwright-staging",
      )
      .optional(),
  ),
  REDIS_CLUSTER: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const text = value?.trim().toLowerCase() ?? "";
      if (["", "0", "false", "no", "off"].includes(text)) return false;
      if (["1", "true", "yes", "on"].includes(text)) return true;
      ctx.addIssue({ code: "custom", message: `REDIS_CLUSTER must be true or false (got "${value}")` });
      return z.NEVER;
    }),
  PLANWRIGHT_METRICS_TOKEN: metricsToken,
  PLANWRIGHT_WORKER_PORT: workerPort,
});

export interface PlanwrightEnv {
  production: boolean;
  appId: string | undefined;
  /** Base URL of the GitHub REST API (github.com or GHES `/api/v3`). */
  githubApiUrl: string;
  /** Web URL of GitHub (for links in comments). */
  githubWebUrl: string;
  anthropicBaseUrl: string | undefined;
  hasAnthropicKey: boolean;
  model: string;
  fallbackModel: string | undefined;
  /** Absolute path of the data directory (queue, mirrors, transcripts). */
  dataDir: string;
  concurrency: number;
  /** How long a worker holds a job between heartbeats; a dead worker's job is taken up again after it. */
  leaseMs: number;
  /** How long finished jobs (and the delivery ids they remember) are kept; 0 keeps them forever. */
  jobRetentionMs: number;
  /** First wait before a job whose worker vanished is taken again; doubles per attempt, at most 10 min. 0: none. */
  retryDelayMs: number;
  sandbox: "auto" | "bwrap" | "none";
  /** The queue's Redis: PLANWRIGHT_REDIS_URL, else REDIS_URL (which Probot also uses for rate limiting). */
  redisUrl: string | undefined;
  /** REDIS_URL names one node of a Redis Cluster. */
  redisCluster: boolean;
  /** Namespace of the queue's Redis keys, so several planwrights can share one Redis; undefined = `planwright`. */
  redisPrefix: string | undefined;
  /** Bearer token `/metrics` requires; undefined leaves it open. */
  metricsToken: string | undefined;
  /** Where `planwright worker` serves /healthz, /readyz and /metrics; 0 serves nothing. */
  workerPort: number;
}

/**
 * Reads and checks planwright's environment. Every problem is reported at
 * once, each with what to set, so an operator fixes them in one pass.
 */
export interface LoadEnvOptions {
  /**
   * False for processes that never take webhooks (`planwright worker`, `planwright jobs`):
   * they need no WEBHOOK_SECRET, so production does not insist on one there.
   */
  receivesWebhooks?: boolean;
}

export function loadEnv(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), options: LoadEnvOptions = {}): PlanwrightEnv {
  const result = envSchema.safeParse(env);
  const problems: string[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) {
      const name = issue.path.join(".");
      problems.push(issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`);
    }
  }
  const production = env.NODE_ENV === "production";
  const secret = env.WEBHOOK_SECRET;
  if (production && (options.receivesWebhooks ?? true) && (!secret || secret === PROBOT_DEFAULT_SECRET)) {
    problems.push(
      "WEBHOOK_SECRET: set it to the webhook secret from the GitHub App's settings. In production planwright refuses " +
        `to start without one, because Probot would silently use "${PROBOT_DEFAULT_SECRET}" and accept forged webhooks.`,
    );
  }
  if (result.success && result.data.REDIS_CLUSTER) {
    if (!result.data.PLANWRIGHT_REDIS_URL) {
      // Probot hands REDIS_URL to its GitHub rate limiter (Bottleneck) with a
      // single-node client, and Bottleneck's multi-key scripts cannot run on a
      // cluster; so the queue must get the cluster under its own name.
      problems.push(
        "REDIS_CLUSTER: on, but PLANWRIGHT_REDIS_URL is not set. Put any one node of the cluster in " +
          "PLANWRIGHT_REDIS_URL and leave REDIS_URL unset (or pointing at a separate, non-cluster Redis): Probot " +
          "gives REDIS_URL to its GitHub rate limiter, which cannot run on a Redis Cluster",
      );
    }
  }
  if (!result.success || problems.length > 0) {
    throw new ConfigurationError("planwright cannot start: fix these environment variables.", problems);
  }
  const e = result.data;
  const protocol = e.GHE_PROTOCOL ?? "https";
  return {
    production,
    appId: e.APP_ID,
    githubApiUrl: e.GHE_HOST ? `${protocol}://${e.GHE_HOST}/api/v3` : "https://api.github.com",
    githubWebUrl: e.GHE_HOST ? `${protocol}://${e.GHE_HOST}` : "https://github.com",
    anthropicBaseUrl: e.ANTHROPIC_BASE_URL,
    hasAnthropicKey: Boolean(e.ANTHROPIC_API_KEY && e.ANTHROPIC_API_KEY.trim()),
    model: e.PLANWRIGHT_MODEL,
    fallbackModel: e.PLANWRIGHT_FALLBACK_MODEL,
    dataDir: path.resolve(cwd, e.PLANWRIGHT_DATA_DIR),
    concurrency: e.PLANWRIGHT_CONCURRENCY,
    leaseMs: e.PLANWRIGHT_LEASE_SECONDS * 1000,
    jobRetentionMs: e.PLANWRIGHT_JOB_RETENTION_DAYS * 24 * 60 * 60 * 1000,
    retryDelayMs: e.PLANWRIGHT_RETRY_DELAY_SECONDS * 1000,
    sandbox: e.PLANWRIGHT_SANDBOX,
    redisUrl: e.PLANWRIGHT_REDIS_URL ?? e.REDIS_URL,
    redisCluster: e.REDIS_CLUSTER,
    redisPrefix: e.PLANWRIGHT_REDIS_PREFIX,
    metricsToken: e.PLANWRIGHT_METRICS_TOKEN,
    workerPort: e.PLANWRIGHT_WORKER_PORT,
  };
}
