import { existsSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { Probot } from "probot";
import { loadEnv } from "../config/env.js";
import type { PlanwrightEnv } from "../config/env.js";
import { ConfigurationError, messageOf } from "../errors.js";
import { createQueue, sqliteQueuePath } from "../queue/create-queue.js";
import type { CreatedQueue } from "../queue/create-queue.js";
import type { Job, JobState } from "../queue/job.js";
import type { GitHubPort } from "../github/port.js";
import { createOctokitGitHubPort } from "../github/octokit-github-port.js";
import { renderTrackingComment, trackingViewOf } from "../tracking/tracking-comment.js";
import { readAppCredentials } from "./app-credentials.js";
import { readDotEnv } from "./read-dot-env.js";
import type { CliIO } from "./run-command.js";

export const JOBS_USAGE = `Usage: planwright jobs [--state STATE] [--limit N] [--json]
       planwright jobs show ID [--json]
       planwright jobs cancel ID [--as LOGIN]

Looks into the job queue the server and workers share: REDIS_URL when it is set,
else the embedded queue in PLANWRIGHT_DATA_DIR. Like \`npm start\`, it reads .env
from the current directory over the environment. Safe while planwright runs.

  (no subcommand)  the newest jobs first: id, state, kind, issue or PR, agent,
                   attempts, age, worker and outcome
  show ID          everything about one job
  cancel ID        stops a job: a queued one at once, a running one at its
                   worker's next lease renewal (at once with Redis). A job
                   that had not started has its tracking comment on GitHub
                   updated here, with the app's credentials (APP_ID and
                   PRIVATE_KEY, as for the server); a running one's worker
                   updates it when the run ends.

ID is a job id or an unambiguous start of one (the list shows 8 characters).

Options:
  --state STATE   only jobs in this state: queued, running, succeeded, failed, cancelled
  --limit N       at most N jobs (default 20)
  --json          machine-readable output
  --as LOGIN      who the cancel is recorded as (default: your user name)
  --help          show this text

Exit status: 0 on success, 1 when the job is not found, 2 for a usage or configuration error.`;

const STATES: readonly JobState[] = ["queued", "running", "succeeded", "failed", "cancelled"];
/** Enough to find a job by the start of its id among everything a queue keeps for its retention period. */
const ID_SEARCH_LIMIT = 100_000;

export interface JobsCommandDeps {
  /** Redis key prefix; overrides PLANWRIGHT_REDIS_PREFIX (default `planwright`). */
  redisPrefix?: string;
  now?: () => number;
  /**
   * GitHub for a job's repository, to finish the tracking comment of a job
   * cancelled before it started; undefined when there are no credentials.
   * Default: the GitHub App's own installation token, like a worker's.
   */
  githubFor?: (job: Job) => Promise<Pick<GitHubPort, "updateComment"> | undefined>;
}

class JobNotFoundError extends Error {}

/** `planwright jobs`: list, show and cancel jobs from the command line. */
export async function jobsCommand(argv: string[], io: CliIO, deps: JobsCommandDeps = {}): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        state: { type: "string" },
        limit: { type: "string" },
        json: { type: "boolean" },
        as: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
  } catch (error) {
    io.stderr(`${messageOf(error)}\n\n${JOBS_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(`${JOBS_USAGE}\n`);
    return 0;
  }
  const [sub = "list", id, ...extra] = positionals;
  const usage = (problem: string): number => {
    io.stderr(`planwright jobs: ${problem}\n\n${JOBS_USAGE}\n`);
    return 2;
  };
  if (!["list", "show", "cancel"].includes(sub)) return usage(`unknown subcommand "${sub}"`);
  if (sub === "list" && id !== undefined) return usage(`unexpected argument "${id}"`);
  if (sub !== "list" && id === undefined) return usage(`${sub} needs a job id`);
  if (extra.length > 0) return usage(`unexpected argument "${extra[0]}"`);
  const state = values.state;
  if (state !== undefined && !STATES.includes(state as JobState)) {
    return usage(`--state must be one of ${STATES.join(", ")}, got "${state}"`);
  }
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return usage(`--limit must be a whole number from 1 to 10000, got "${values.limit}"`);

  let queue: CreatedQueue;
  // Read once: the queue and, for a cancel, GitHub both come from these settings.
  let settings: Settings;
  try {
    settings = await readSettings(io);
    queue = await openQueue(settings.env, deps);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    // The message already lists every problem.
    io.stderr(`planwright jobs: ${error.message}\n`);
    return 2;
  }
  const now = deps.now ?? Date.now;
  try {
    if (sub === "list") {
      const jobs = await queue.list({ ...(state ? { state: state as JobState } : {}), limit });
      io.stdout(values.json ? `${JSON.stringify(jobs, null, 2)}\n` : renderTable(jobs, now()));
      return 0;
    }
    const job = await findJob(queue, id!);
    if (sub === "show") {
      io.stdout(values.json ? `${JSON.stringify(job, null, 2)}\n` : renderDetails(job, now()));
      return 0;
    }
    const by = (values.as ?? os.userInfo().username).replace(/^@/, "");
    const after = await queue.cancel(job.id, by);
    io.stdout(`${describeCancel(job, after, queue.kind)}\n`);
    if (job.state === "queued" && after?.state === "cancelled") {
      await finishTrackingComment(after, by, io, deps.githubFor ?? ((j) => githubWithAppCredentials(settings, io.cwd, j)), now());
    }
    return 0;
  } catch (error) {
    if (!(error instanceof JobNotFoundError)) throw error;
    io.stderr(`planwright jobs: ${error.message}\n`);
    return 1;
  } finally {
    await queue.close();
  }
}

interface Settings {
  /** The environment with .env applied over it, as `npm start` sees it. */
  processEnv: NodeJS.ProcessEnv;
  env: PlanwrightEnv;
}

async function readSettings(io: CliIO): Promise<Settings> {
  const processEnv = { ...io.env, ...(await readDotEnv(io.cwd)) };
  return { processEnv, env: loadEnv(processEnv, io.cwd, { receivesWebhooks: false }) };
}

async function openQueue(env: PlanwrightEnv, deps: JobsCommandDeps): Promise<CreatedQueue> {
  // Opening the SQLite queue creates the file; a typo in PLANWRIGHT_DATA_DIR should say so instead.
  if (!env.redisUrl && !existsSync(sqliteQueuePath(env))) {
    throw new ConfigurationError(`there is no job queue at ${sqliteQueuePath(env)}.`, [
      "PLANWRIGHT_DATA_DIR: point it at the server's data directory (run this where the server runs), or set REDIS_URL to the server's Redis",
    ]);
  }
  return createQueue(env, { subscribe: false, ...(deps.redisPrefix !== undefined ? { redisPrefix: deps.redisPrefix } : {}) });
}

/**
 * A queued job never reaches a worker, so nobody else would change its
 * tracking comment from "queued". The job is cancelled either way; this only
 * tells the people on the issue, and says so when it cannot.
 */
async function finishTrackingComment(
  job: Job,
  by: string,
  io: CliIO,
  githubFor: NonNullable<JobsCommandDeps["githubFor"]>,
  now: number,
): Promise<void> {
  const commentId = job.spec.trackingCommentId;
  if (commentId === null) return;
  const where = `${job.spec.repository.fullName}#${job.spec.issueNumber ?? job.spec.pullRequestNumber ?? "?"}`;
  try {
    const github = await githubFor(job);
    if (!github) {
      io.stderr(
        `planwright jobs: the tracking comment on ${where} still says the job is queued: set APP_ID and PRIVATE_KEY ` +
          "(as for the server) so planwright jobs can update it, or edit it by hand\n",
      );
      return;
    }
    const view = trackingViewOf(job, now);
    await github.updateComment(
      commentId,
      renderTrackingComment({ ...view, status: "cancelled", phase: "queued", reason: `stopped by @${by} (an operator, with planwright jobs cancel) before it started.` }),
    );
    io.stdout(`updated the tracking comment on ${where}\n`);
  } catch (error) {
    io.stderr(`planwright jobs: the job is cancelled, but updating its tracking comment on ${where} failed: ${messageOf(error)}\n`);
  }
}

/** The app's installation, as a worker reaches it; undefined without credentials. */
async function githubWithAppCredentials(
  { processEnv, env }: Settings,
  cwd: string,
  job: Job,
): Promise<Pick<GitHubPort, "updateComment"> | undefined> {
  const credentials = await readAppCredentials(processEnv, cwd);
  if (!credentials.ok) return undefined;
  const app = new Probot({ appId: credentials.appId, privateKey: credentials.privateKey, baseUrl: env.githubApiUrl, logLevel: "warn" });
  const octokit = await app.auth(job.spec.installationId);
  return createOctokitGitHubPort(octokit, { owner: job.spec.repository.owner, repo: job.spec.repository.name });
}

async function findJob(queue: CreatedQueue, id: string): Promise<Job> {
  const exact = await queue.get(id);
  if (exact) return exact;
  if (id.length < 4) throw new JobNotFoundError(`no job with the id "${id}" (give at least 4 characters of an id)`);
  const matches = (await queue.list({ limit: ID_SEARCH_LIMIT })).filter((job) => job.id.startsWith(id));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new JobNotFoundError(`no job whose id starts with "${id}"; \`planwright jobs\` lists them`);
  throw new JobNotFoundError(`"${id}" starts ${matches.length} job ids (${matches.slice(0, 5).map((j) => j.id).join(", ")}…); give more of it`);
}

function describeCancel(before: Job, after: Job | undefined, kind: CreatedQueue["kind"]): string {
  if (!after) return `job ${before.id} disappeared before it could be cancelled`;
  if (before.state !== "queued" && before.state !== "running") return `job ${before.id} had already ended (${before.state}); nothing to stop`;
  if (after.state === "cancelled") return `job ${after.id} cancelled before it started`;
  if (after.state === "running") {
    return kind === "redis"
      ? `stop requested for job ${after.id}; its worker (${after.workerId ?? "none yet"}) is told at once and ends the run`
      : `stop requested for job ${after.id}; its worker (${after.workerId ?? "none yet"}) ends the run at its next lease renewal (within a third of PLANWRIGHT_LEASE_SECONDS)`;
  }
  return `job ${after.id} is ${after.state}`;
}

function target(job: Job): string {
  const repo = job.spec.repository.fullName;
  if (job.spec.kind === "revise" && job.spec.pullRequestNumber !== null) return `${repo} PR #${job.spec.pullRequestNumber}`;
  return `${repo}#${job.spec.issueNumber ?? "?"}`;
}

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s}s`;
  if (s < 90 * 60) return `${Math.round(s / 60)}m`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

/** One line, at most `max` characters: messages can be paragraphs. */
function clip(text: string, max: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

function renderTable(jobs: Job[], now: number): string {
  if (jobs.length === 0) return "no jobs\n";
  const rows = jobs.map((job) => [
    job.id.slice(0, 8),
    job.state,
    job.spec.kind,
    target(job),
    job.spec.agent,
    String(job.attempts),
    age(now - job.createdAt),
    job.state === "running" ? (job.workerId ?? "(handed back)") : "",
    clip(job.message ?? "", 60),
  ]);
  const header = ["ID", "STATE", "KIND", "TARGET", "AGENT", "TRIES", "AGE", "WORKER", "OUTCOME"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

function renderDetails(job: Job, now: number): string {
  const at = (ms: number | null): string => (ms === null ? "-" : `${new Date(ms).toISOString()} (${age(now - ms)} ago)`);
  const fields: [string, string][] = [
    ["id", job.id],
    ["state", job.state],
    ["kind", job.spec.kind],
    ["repository", job.spec.repository.fullName],
    ["issue", job.spec.issueNumber === null ? "-" : `#${job.spec.issueNumber}`],
    ["pull request", job.spec.pullRequestNumber === null ? "-" : `#${job.spec.pullRequestNumber}`],
    ["agent", `${job.spec.agent} (/${job.spec.command})`],
    ["requested by", `@${job.spec.requester} via ${job.spec.source}`],
    ["instructions", job.spec.instructions ? clip(job.spec.instructions, 200) : "-"],
    ["delivery", job.spec.deliveryId],
    ["dedupe key", job.dedupeKey],
    ["serial key", job.serialKey ?? "-"],
    ["attempts", String(job.attempts)],
    ["created", at(job.createdAt)],
    ["started", at(job.startedAt)],
    ["finished", at(job.finishedAt)],
    ["worker", job.workerId ?? (job.state === "running" ? "none (handed back; the next claim takes it)" : "-")],
    ["lease until", job.leaseExpiresAt === null ? "-" : new Date(job.leaseExpiresAt).toISOString()],
    ["stop asked by", job.cancelRequestedBy ? `@${job.cancelRequestedBy}` : "-"],
    ["tracking comment", job.spec.trackingCommentId === null ? "-" : String(job.spec.trackingCommentId)],
    ["outcome", job.message ?? "-"],
  ];
  const width = Math.max(...fields.map(([name]) => name.length));
  return `${fields.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join("\n")}\n`;
}
