import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { ConfigurationError } from "../errors.js";
import type { Job, JobSpec, JobState } from "./job.js";
import { DEFAULT_PRUNE_BATCH, DEFAULT_RETRY_BACKOFF } from "./job-queue.js";
import { Listeners } from "./listeners.js";
import type {
  EnqueueRequest,
  EnqueueResult,
  ActiveJobCounts,
  JobListFilter,
  JobOutcome,
  JobQueue,
  LeaseStatus,
  RetryBackoff,
} from "./job-queue.js";

export type { JobListFilter } from "./job-queue.js";

export interface SqliteJobQueueOptions {
  /** Database file (its directory is created when missing), or `:memory:`. */
  path: string;
  /** Claims a job may get before a stale lease fails it instead. Default 3. */
  maxAttempts?: number;
  /** How long a job whose worker vanished waits before it is taken again. Default 15 s, doubling, at most 10 min. */
  retryBackoff?: RetryBackoff;
  /** Milliseconds since the epoch; injectable so tests can expire leases without sleeping. */
  now?: () => number;
  /** How long a statement waits for another connection's write lock. Default 5000. */
  busyTimeoutMs?: number;
}

/** Bump together with a new step in `migrate`. */
export const SCHEMA_VERSION = 2;

const JOB_STATES: readonly JobState[] = ["queued", "running", "succeeded", "failed", "cancelled"];
const DEFAULT_LIST_LIMIT = 100;

// `seq` breaks ties between jobs created in the same millisecond (and under a
// frozen test clock) without relying on rowids, which VACUUM may renumber.
const SCHEMA_V1 = `
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  dedupe_key TEXT NOT NULL,
  delivery_id TEXT NOT NULL UNIQUE,
  spec TEXT NOT NULL CHECK (json_valid(spec)),
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  worker_id TEXT,
  lease_expires_at INTEGER,
  cancel_requested_by TEXT,
  message TEXT
);
CREATE UNIQUE INDEX jobs_seq ON jobs (seq);
CREATE INDEX jobs_claim ON jobs (state, created_at, seq);
CREATE INDEX jobs_lease ON jobs (state, lease_expires_at);
-- The transaction in enqueue() already prevents a second active job per key;
-- this index makes the database refuse one even if that logic is bypassed.
CREATE UNIQUE INDEX jobs_active_dedupe ON jobs (dedupe_key) WHERE state IN ('queued', 'running');
`;

// Serial keys and follow-ups. Existing rows get no serial key, which leaves
// them as unconstrained as before; they already satisfy both new dedupe
// indexes because v1 allowed only one active job per key.
const MIGRATION_V2 = `
ALTER TABLE jobs ADD COLUMN serial_key TEXT;
DROP INDEX jobs_active_dedupe;
-- A follow-up may wait behind a running job with its key, but two queued or
-- two running jobs per key would mean double work or a lost batch.
CREATE UNIQUE INDEX jobs_queued_dedupe ON jobs (dedupe_key) WHERE state = 'queued';
CREATE UNIQUE INDEX jobs_running_dedupe ON jobs (dedupe_key) WHERE state = 'running';
-- claim() asks "is anything with this serial key running (with a live lease)?"
-- for every candidate it passes over; this answers it without a table scan.
CREATE INDEX jobs_serial ON jobs (serial_key, state, lease_expires_at) WHERE serial_key IS NOT NULL;
`;

/**
 * The two candidates `claim` compares, exported so a test can check that
 * SQLite answers them from indexes. A queued job may not start while its
 * dedupe key is running (the unique index would refuse it anyway) nor while
 * anything with its serial key is running, expired or not: an expired job is
 * about to be reclaimed and came first. An expired job may be reclaimed unless
 * another job with its serial key holds a live lease, once its retry delay
 * (`retryDelayMs`, written out in SQL) has passed; a job handed back by
 * `release` (no worker) has none.
 */
export const CLAIM_SQL = {
  queued: `
    SELECT * FROM jobs AS q
    WHERE q.state = 'queued'
      AND NOT EXISTS (SELECT 1 FROM jobs AS r WHERE r.state = 'running' AND r.dedupe_key = q.dedupe_key)
      AND (q.serial_key IS NULL
        OR NOT EXISTS (SELECT 1 FROM jobs AS r WHERE r.serial_key = q.serial_key AND r.state = 'running'))
    ORDER BY q.created_at, q.seq LIMIT 1`,
  abandoned: `
    SELECT * FROM jobs AS e
    WHERE e.state = 'running'
      AND e.lease_expires_at + CASE WHEN e.worker_id IS NULL OR @baseMs <= 0 THEN 0
        ELSE MIN(@maxMs, @baseMs * (1 << MIN(e.attempts - 1, 30))) END <= @now
      AND (e.serial_key IS NULL
        OR NOT EXISTS (SELECT 1 FROM jobs AS r
          WHERE r.serial_key = e.serial_key AND r.state = 'running' AND r.lease_expires_at > @now))
    ORDER BY e.created_at, e.seq LIMIT 1`,
} as const;

/** What `enqueue` found: a job to report, or room for a new one (behind `behind`, when it is a follow-up). */
type EnqueueDecision = { kind: "existing"; result: EnqueueResult } | { kind: "insert"; behind: Job | undefined };

interface JobRow {
  id: string;
  seq: number;
  state: string;
  dedupe_key: string;
  serial_key: string | null;
  delivery_id: string;
  spec: string;
  attempts: number;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  worker_id: string | null;
  lease_expires_at: number | null;
  cancel_requested_by: string | null;
  message: string | null;
}

/**
 * The default, single-host queue: one SQLite file shared by every process on
 * the machine. All writes run in IMMEDIATE transactions, so two processes
 * never both see "no active job" and both insert one.
 */
export class SqliteJobQueue implements JobQueue {
  private readonly db: Database.Database;
  private readonly maxAttempts: number;
  private readonly backoff: RetryBackoff;
  private readonly now: () => number;
  private readonly retired = new Listeners<Job>();

  constructor(options: SqliteJobQueueOptions) {
    this.maxAttempts = options.maxAttempts ?? 3;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new ConfigurationError(`maxAttempts must be a whole number of at least 1, got ${this.maxAttempts}`);
    }
    this.backoff = options.retryBackoff ?? DEFAULT_RETRY_BACKOFF;
    this.now = options.now ?? Date.now;
    if (isFilePath(options.path)) mkdirSync(dirname(resolve(options.path)), { recursive: true });
    this.db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
    try {
      this.db.pragma("journal_mode = WAL");
      // NORMAL is durable across process crashes in WAL mode; only a power cut can lose the last commits.
      this.db.pragma("synchronous = NORMAL");
      migrate(this.db, options.path);
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  async enqueue(request: EnqueueRequest): Promise<EnqueueResult> {
    try {
      return this.db.transaction(() => this.enqueueInTransaction(request)).immediate();
    } catch (error) {
      // Only reachable if another writer slipped past the transaction; report what it made.
      if (!isConstraintError(error)) throw error;
      const decision = this.db.transaction(() => this.decide(request)).immediate();
      if (decision.kind === "existing") return decision.result;
      throw error;
    }
  }

  async claim(workerId: string, leaseMs: number): Promise<Job | undefined> {
    const { claimed, retired } = this.db
      .transaction(() => {
        const now = this.now();
        const retired = this.retireAbandoned(now);
        const row = this.oldestClaimable(now);
        if (!row) return { claimed: undefined, retired };
        this.db
          .prepare(
            `UPDATE jobs SET state = 'running', attempts = attempts + 1, worker_id = ?, lease_expires_at = ?,
               started_at = ?, updated_at = ? WHERE id = ?`,
          )
          .run(workerId, now + leaseMs, now, now, row.id);
        return { claimed: this.getRow(row.id), retired };
      })
      .immediate();
    // After the commit: a listener that reads the queue must see the job ended.
    for (const job of retired) this.retired.notify(job);
    return claimed;
  }

  onRetired(listener: (job: Job) => void): () => void {
    return this.retired.add(listener);
  }

  async renewLease(jobId: string, workerId: string, leaseMs: number): Promise<LeaseStatus> {
    return this.db
      .transaction((): LeaseStatus => {
        const row = this.rowById(jobId);
        if (!row || row.state !== "running" || row.worker_id !== workerId) return "lost";
        const now = this.now();
        // Still extended when cancelled, so nobody reclaims the job while it winds down.
        this.db.prepare(`UPDATE jobs SET lease_expires_at = ?, updated_at = ? WHERE id = ?`).run(now + leaseMs, now, jobId);
        return row.cancel_requested_by === null ? "ok" : "cancelled";
      })
      .immediate();
  }

  async release(jobId: string, workerId: string): Promise<Job | undefined> {
    return this.db
      .transaction(() => {
        const row = this.rowById(jobId);
        if (!row || row.state !== "running" || row.worker_id !== workerId) return undefined;
        const now = this.now();
        if (row.cancel_requested_by !== null) {
          this.db
            .prepare(
              `UPDATE jobs SET state = 'cancelled', message = ?, finished_at = ?, updated_at = ?, lease_expires_at = NULL
               WHERE id = ?`,
            )
            .run(`stopped by @${row.cancel_requested_by}`, now, now, jobId);
        } else {
          // Still 'running' with a lapsed lease and no worker: it keeps its
          // dedupe and serial keys, so a follow-up queued behind it cannot run
          // first, and the abandoned-job path of the next claim takes it.
          this.db
            .prepare(
              `UPDATE jobs SET worker_id = NULL, lease_expires_at = ?, attempts = MAX(attempts - 1, 0), updated_at = ?
               WHERE id = ?`,
            )
            .run(now, now, jobId);
        }
        return this.getRow(jobId);
      })
      .immediate();
  }

  async prune(finishedBefore: number, limit: number = DEFAULT_PRUNE_BATCH): Promise<number> {
    return this.db
      .prepare(
        `DELETE FROM jobs WHERE id IN (
           SELECT id FROM jobs WHERE state IN ('succeeded', 'failed', 'cancelled') AND finished_at < ?
           ORDER BY finished_at LIMIT ?)`,
      )
      .run(finishedBefore, limit).changes;
  }

  async finish(jobId: string, workerId: string, outcome: JobOutcome): Promise<Job | undefined> {
    return this.db
      .transaction(() => {
        const now = this.now();
        const changed = this.db
          .prepare(
            `UPDATE jobs SET state = ?, message = ?, finished_at = ?, updated_at = ?, lease_expires_at = NULL
             WHERE id = ? AND worker_id = ? AND state = 'running'`,
          )
          .run(outcome.state, outcome.message, now, now, jobId, workerId);
        return changed.changes === 0 ? undefined : this.getRow(jobId);
      })
      .immediate();
  }

  async cancel(jobId: string, requestedBy: string): Promise<Job | undefined> {
    return this.db
      .transaction(() => {
        const row = this.rowById(jobId);
        if (!row) return undefined;
        const now = this.now();
        const by = loginOf(requestedBy);
        if (row.state === "queued") {
          this.db
            .prepare(
              `UPDATE jobs SET state = 'cancelled', cancel_requested_by = ?, message = ?, finished_at = ?, updated_at = ?
               WHERE id = ?`,
            )
            .run(by, `stopped by @${by} before it started`, now, now, jobId);
        } else if (row.state === "running" && row.cancel_requested_by === null) {
          this.db
            .prepare(`UPDATE jobs SET cancel_requested_by = ?, updated_at = ? WHERE id = ?`)
            .run(by, now, jobId);
        }
        return this.getRow(jobId);
      })
      .immediate();
  }

  async get(jobId: string): Promise<Job | undefined> {
    const row = this.rowById(jobId);
    return row ? toJob(row) : undefined;
  }

  async findActive(dedupeKey: string): Promise<Job | undefined> {
    return (await this.findActiveAll(dedupeKey))[0];
  }

  async findActiveAll(dedupeKey: string): Promise<Job[]> {
    // One read transaction, so a job another process moves from queued to
    // running between the two lookups is neither missed nor listed twice.
    return this.db.transaction(() =>
      [this.activeRowFor(dedupeKey, "running"), this.activeRowFor(dedupeKey, "queued")]
        .filter((row) => row !== undefined)
        .map(toJob),
    )();
  }

  async listActiveBySerialKey(serialKey: string): Promise<Job[]> {
    return this.db
      .prepare<[string], JobRow>(
        `SELECT * FROM jobs WHERE serial_key = ? AND state IN ('queued', 'running')
         ORDER BY state = 'running' DESC, created_at, seq`,
      )
      .all(serialKey)
      .map(toJob);
  }

  async setTrackingComment(jobId: string, commentId: number): Promise<void> {
    this.db
      .prepare(`UPDATE jobs SET spec = json_set(spec, '$.trackingCommentId', ?), updated_at = ? WHERE id = ?`)
      .run(commentId, this.now(), jobId);
  }

  /** Answered from the claim index, so a scrape costs the same however many finished jobs there are. */
  async countActive(): Promise<ActiveJobCounts> {
    const rows = this.db
      .prepare<[], { state: string; n: number }>(
        `SELECT state, COUNT(*) AS n FROM jobs WHERE state IN ('queued', 'running') GROUP BY state`,
      )
      .all();
    const count = (state: string): number => rows.find((row) => row.state === state)?.n ?? 0;
    return { queued: count("queued"), running: count("running") };
  }

  /** Jobs newest first, for status pages and the CLI. */
  async list(filter: JobListFilter = {}): Promise<Job[]> {
    const limit = filter.limit ?? DEFAULT_LIST_LIMIT;
    const rows = filter.state
      ? this.db
          .prepare<[string, number], JobRow>(`SELECT * FROM jobs WHERE state = ? ORDER BY created_at DESC, seq DESC LIMIT ?`)
          .all(filter.state, limit)
      : this.db.prepare<[number], JobRow>(`SELECT * FROM jobs ORDER BY created_at DESC, seq DESC LIMIT ?`).all(limit);
    return rows.map(toJob);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private enqueueInTransaction(request: EnqueueRequest): EnqueueResult {
    const decision = this.decide(request);
    if (decision.kind === "existing") return decision.result;
    const now = this.now();
    const id = randomUUID();
    this.db
      .prepare(
        `INSERT INTO jobs (id, seq, state, dedupe_key, serial_key, delivery_id, spec, attempts, created_at, updated_at)
         VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs), 'queued', ?, ?, ?, ?, 0, ?, ?)`,
      )
      .run(
        id,
        request.dedupeKey,
        request.serialKey ?? null,
        request.deliveryId,
        JSON.stringify(request.spec),
        now,
        now,
      );
    const job = this.getRow(id);
    return decision.behind ? { outcome: "queued-behind", job, running: decision.behind } : { outcome: "enqueued", job };
  }

  private decide(request: EnqueueRequest): EnqueueDecision {
    const delivered = this.db
      .prepare<[string], JobRow>(`SELECT * FROM jobs WHERE delivery_id = ?`)
      .get(request.deliveryId);
    if (delivered) return { kind: "existing", result: { outcome: "duplicate-delivery", job: toJob(delivered) } };
    const running = this.activeRowFor(request.dedupeKey, "running");
    const queued = this.activeRowFor(request.dedupeKey, "queued");
    if (request.followUp) {
      // The queued job has not started, so it will still see this feedback: batch into it.
      if (queued) return { kind: "existing", result: { outcome: "already-active", job: toJob(queued) } };
      return { kind: "insert", behind: running ? toJob(running) : undefined };
    }
    const active = running ?? queued;
    if (active) return { kind: "existing", result: { outcome: "already-active", job: toJob(active) } };
    return { kind: "insert", behind: undefined };
  }

  /**
   * Jobs whose worker vanished are either finished here (cancel was asked, or
   * they already used every attempt) or left for `oldestClaimable` to retry.
   */
  /** Ends abandoned jobs that must not run again; returns them as ended. */
  private retireAbandoned(now: number): Job[] {
    const stale = this.db
      .prepare<[number], JobRow>(`SELECT * FROM jobs WHERE state = 'running' AND lease_expires_at <= ?`)
      .all(now);
    const end = this.db.prepare(
      `UPDATE jobs SET state = ?, message = ?, finished_at = ?, updated_at = ?, lease_expires_at = NULL WHERE id = ?`,
    );
    const retired: Job[] = [];
    for (const row of stale) {
      if (row.cancel_requested_by !== null) {
        end.run("cancelled", `stopped by @${row.cancel_requested_by}`, now, now, row.id);
      } else if (row.attempts >= this.maxAttempts) {
        const message =
          `a worker took this job ${row.attempts} times and stopped responding each time (crash or restart); ` +
          `look at the worker logs, then trigger it again`;
        end.run("failed", message, now, now, row.id);
      } else {
        continue;
      }
      retired.push(this.getRow(row.id));
    }
    return retired;
  }

  private oldestClaimable(now: number): JobRow | undefined {
    const queued = this.db.prepare<[], JobRow>(CLAIM_SQL.queued).get();
    const abandoned = this.db
      .prepare<[{ now: number; baseMs: number; maxMs: number }], JobRow>(CLAIM_SQL.abandoned)
      .get({ now, baseMs: this.backoff.baseMs, maxMs: this.backoff.maxMs });
    if (!queued || !abandoned) return queued ?? abandoned;
    const queuedFirst =
      queued.created_at < abandoned.created_at || (queued.created_at === abandoned.created_at && queued.seq < abandoned.seq);
    return queuedFirst ? queued : abandoned;
  }

  /** One lookup per state, so each is answered by that state's unique partial index. */
  private activeRowFor(dedupeKey: string, state: "queued" | "running"): JobRow | undefined {
    const sql =
      state === "queued"
        ? `SELECT * FROM jobs WHERE dedupe_key = ? AND state = 'queued'`
        : `SELECT * FROM jobs WHERE dedupe_key = ? AND state = 'running'`;
    return this.db.prepare<[string], JobRow>(sql).get(dedupeKey);
  }

  private rowById(jobId: string): JobRow | undefined {
    return this.db.prepare<[string], JobRow>(`SELECT * FROM jobs WHERE id = ?`).get(jobId);
  }

  /** For rows this transaction just wrote, which must exist. */
  private getRow(jobId: string): Job {
    const row = this.rowById(jobId);
    if (!row) throw new Error(`job ${jobId} vanished inside its own transaction`);
    return toJob(row);
  }
}

function migrate(db: Database.Database, path: string): void {
  // IMMEDIATE, so two processes opening a new file at once do not both create the schema.
  db.transaction(() => {
    const version = db.pragma("user_version", { simple: true });
    if (typeof version !== "number") throw new Error(`PRAGMA user_version returned ${String(version)}`);
    if (version > SCHEMA_VERSION) {
      throw new ConfigurationError(
        `The job database ${path} was written by a newer planwright (schema version ${version}, this one knows ${SCHEMA_VERSION}); ` +
          `upgrade planwright or point it at another database file`,
      );
    }
    if (version < 1) db.exec(SCHEMA_V1);
    if (version < 2) db.exec(MIGRATION_V2);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

function toJob(row: JobRow): Job {
  return {
    id: row.id,
    spec: JSON.parse(row.spec) as JobSpec,
    state: toState(row.state),
    dedupeKey: row.dedupe_key,
    serialKey: row.serial_key,
    attempts: row.attempts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    workerId: row.worker_id,
    leaseExpiresAt: row.lease_expires_at,
    cancelRequestedBy: row.cancel_requested_by,
    message: row.message,
  };
}

function toState(value: string): JobState {
  const state = JOB_STATES.find((s) => s === value);
  if (!state) throw new Error(`job database holds an unknown job state "${value}"`);
  return state;
}

/** Accepts `octocat` or `@octocat`; messages add the `@` themselves. */
function loginOf(requestedBy: string): string {
  return requestedBy.replace(/^@/, "");
}

function isFilePath(path: string): boolean {
  return path !== "" && path !== ":memory:" && !path.startsWith("file:");
}

function isConstraintError(error: unknown): boolean {
  if (typeof error !== "object" || error === null || !("code" in error)) return false;
  const code = (error as { code: unknown }).code;
  return typeof code === "string" && code.startsWith("SQLITE_CONSTRAINT");
}
