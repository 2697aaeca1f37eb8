import path from "node:path";
import { z } from "zod";
import { ConfigurationError } from "../errors.js";

/** Probot's fallback secret; accepting it in production would accept forged webhooks. */
const PROBOT_DEFAULT_SECRET = "development";

const positiveInt = (name: string, fallback: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === "") return fallback;
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0 || n > max) {
        ctx.addIssue({ code: "custom", message: `${name} must be a whole number from 0 to ${max} (got "${value}")` });
        return z.NEVER;
      }
      return n;
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
  PLANWRIGHT_LEASE_SECONDS: positiveInt("PLANWRIGHT_LEASE_SECONDS", 60, 3600),
  PLANWRIGHT_SANDBOX: z
    .enum(["auto", "bwrap", "none"], { message: 'PLANWRIGHT_SANDBOX must be "auto", "bwrap" or "none"' })
    .default("auto"),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "REDIS_URL must start with redis:// or rediss://")
    .optional(),
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
  sandbox: "auto" | "bwrap" | "none";
  redisUrl: string | undefined;
}

/**
 * Reads and checks planwright's environment. Every problem is reported at
 * once, each with what to set, so an operator fixes them in one pass.
 */
export function loadEnv(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): PlanwrightEnv {
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
  if (production && (!secret || secret === PROBOT_DEFAULT_SECRET)) {
    problems.push(
      "WEBHOOK_SECRET: set it to the webhook secret from the GitHub App's settings. In production planwright refuses " +
        `to start without one, because Probot would silently use "${PROBOT_DEFAULT_SECRET}" and accept forged webhooks.`,
    );
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
    leaseMs: Math.max(1, e.PLANWRIGHT_LEASE_SECONDS) * 1000,
    sandbox: e.PLANWRIGHT_SANDBOX,
    redisUrl: e.REDIS_URL,
  };
}
