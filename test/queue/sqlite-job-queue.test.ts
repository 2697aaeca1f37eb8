import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigurationError } from "../../src/errors.js";
import { dedupeKeyFor, serialKeyFor } from "../../src/queue/job.js";
import type { EnqueueRequest, RetryBackoff } from "../../src/queue/job-queue.js";
import { CLAIM_SQL, SCHEMA_VERSION, SqliteJobQueue } from "../../src/queue/sqlite-job-queue.js";
import { makeJobSpec } from "../helpers/job-spec.js";
import { describeJobQueueContract } from "./job-queue-contract.js";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

describeJobQueueContract("SqliteJobQueue", async ({ now, maxAttempts, retryBackoff }) => {
  const dir = await mkdtemp(join(tmpdir(), "planwright-queue-"));
  const path = join(dir, "state", "jobs.db");
  const handles: SqliteJobQueue[] = [];
  const open = async (): Promise<SqliteJobQueue> => {
    const handle = new SqliteJobQueue({ path, now, maxAttempts, retryBackoff });
    handles.push(handle);
    return handle;
  };
  return {
    queue: await open(),
    reopen: open,
    cleanup: async () => {
      for (const handle of handles) await handle.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

function requestFor(issueNumber: number, deliveryId = `delivery-${issueNumber}`): EnqueueRequest {
  const spec = makeJobSpec({ issueNumber, deliveryId });
  return { spec, deliveryId, dedupeKey: dedupeKeyFor(spec.repository.fullName, issueNumber, spec.agent) };
}

describe("SqliteJobQueue", () => {
  let dir: string;
  let path: string;
  const opened: SqliteJobQueue[] = [];
  const open = (options: { maxAttempts?: number; now?: () => number; retryBackoff?: RetryBackoff } = {}): SqliteJobQueue => {
    const queue = new SqliteJobQueue({ path, ...options });
    opened.push(queue);
    return queue;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "planwright-sqlite-"));
    path = join(dir, "does", "not", "exist", "jobs.db");
  });

  afterEach(async () => {
    for (const queue of opened.splice(0)) await queue.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe("database file", () => {
    it("creates missing parent directories and uses WAL with a schema version", async () => {
      await open().close();

      expect(existsSync(path)).toBe(true);
      const raw = new Database(path, { readonly: true });
      try {
        expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
        expect(raw.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
      } finally {
        raw.close();
      }
    });

    it("refuses a database written by a newer schema version", async () => {
      await open().close();
      const raw = new Database(path);
      raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      raw.close();

      expect(() => open()).toThrow(ConfigurationError);
      expect(() => open()).toThrow(/newer planwright/);
    });

    it("works in memory", async () => {
      const queue = new SqliteJobQueue({ path: ":memory:" });
      opened.push(queue);
      const { outcome, job } = await queue.enqueue(requestFor(1));
      expect(outcome).toBe("enqueued");
      expect((await queue.claim("worker-a", 1000))?.id).toBe(job.id);
    });

    it("rejects a maxAttempts below 1", () => {
      expect(() => open({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    });
  });

  describe("active dedupe indexes", () => {
    it("make the database itself refuse a second queued or a second running job for a key, but allow one of each", async () => {
      const queue = open();
      const { job } = await queue.enqueue(requestFor(3));
      const raw = new Database(path);
      try {
        const insert = raw.prepare(
          `INSERT INTO jobs (id, seq, state, dedupe_key, delivery_id, spec, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, '{}', 0, 0)`,
        );
        const unique = expect.objectContaining({ code: "SQLITE_CONSTRAINT_UNIQUE" });
        expect(() => insert.run("sneaky", 100, "queued", job.dedupeKey, "other-delivery")).toThrow(unique);
        // A running job beside the queued one is the follow-up arrangement.
        expect(() => insert.run("runner", 101, "running", job.dedupeKey, "runner-delivery")).not.toThrow();
        expect(() => insert.run("second-runner", 102, "running", job.dedupeKey, "another-delivery")).toThrow(unique);
        // Finished jobs do not count, so history can hold many per key.
        expect(() => insert.run("history", 103, "succeeded", job.dedupeKey, "older-delivery")).not.toThrow();
        expect(() => insert.run("more-history", 104, "failed", job.dedupeKey, "oldest-delivery")).not.toThrow();
      } finally {
        raw.close();
      }
    });
  });

  describe("claim queries", () => {
    it("are answered from indexes, including the serial-key and dedupe checks for every candidate", async () => {
      await open().close();
      const raw = new Database(path, { readonly: true });
      try {
        const planOf = (sql: string, ...params: unknown[]): string[] =>
          raw
            .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
            .all(...params)
            .map((row) => row.detail);
        const queued = planOf(CLAIM_SQL.queued);
        const abandoned = planOf(CLAIM_SQL.abandoned, { now: 0, baseMs: 15_000, maxMs: 600_000 });

        for (const line of [...queued, ...abandoned]) expect(line).not.toMatch(/^SCAN /);
        expect(queued.join("\n")).toMatch(/jobs_running_dedupe \(dedupe_key=\?\)/);
        expect(queued.join("\n")).toMatch(/jobs_serial \(serial_key=\? AND state=\?\)/);
        expect(abandoned.join("\n")).toMatch(/jobs_serial \(serial_key=\? AND state=\? AND lease_expires_at>\?\)/);
      } finally {
        raw.close();
      }
    });
  });

  describe("serial keys in rows written behind claim's back", () => {
    it("leave an expired job waiting while another job with its serial key holds a live lease", async () => {
      // The API never starts two jobs of one serial key, but a file may hold
      // them (hand edits, a version without serial keys): reclaiming would then
      // run both, so the expired one waits for the live one to end.
      const queue = open({ now: () => 10_000, retryBackoff: { baseMs: 0, maxMs: 0 } });
      const raw = new Database(path);
      try {
        const insert = raw.prepare(
          `INSERT INTO jobs (id, seq, state, dedupe_key, serial_key, delivery_id, spec, attempts, created_at, updated_at, worker_id, lease_expires_at)
           VALUES (?, ?, 'running', ?, 'octo-org/widgets#9', ?, ?, 1, ?, 0, 'w', ?)`,
        );
        insert.run("expired", 1, "key-expired", "d-expired", JSON.stringify(makeJobSpec()), 1, 5_000);
        insert.run("live", 2, "key-live", "d-live", JSON.stringify(makeJobSpec()), 2, 20_000);
      } finally {
        raw.close();
      }

      expect(await queue.claim("worker-a", 1000)).toBeUndefined();
      await queue.finish("live", "w", { state: "succeeded", message: "done" });
      expect(await queue.claim("worker-a", 1000)).toMatchObject({ id: "expired", attempts: 2, workerId: "worker-a" });
    });
  });

  describe("migration from schema version 1", () => {
    // Schema version 1 exactly as planwright wrote it, so the upgrade path is tested against real old files.
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
      CREATE UNIQUE INDEX jobs_active_dedupe ON jobs (dedupe_key) WHERE state IN ('queued', 'running');
    `;
    const NOW = 1_700_000_000_000;
    const LEASE = 60_000;

    /** A v1 file holding a running job, a queued one and a finished one for the running job's key. */
    const writeV1Database = (): { running: EnqueueRequest; queued: EnqueueRequest; finished: EnqueueRequest } => {
      const running = requestFor(1, "v1-running");
      const queued = requestFor(2, "v1-queued");
      const finished = requestFor(1, "v1-finished");
      mkdirSync(dirname(path), { recursive: true });
      const raw = new Database(path);
      try {
        raw.pragma("journal_mode = WAL");
        raw.exec(SCHEMA_V1);
        raw.pragma("user_version = 1");
        const insert = raw.prepare(
          `INSERT INTO jobs (id, seq, state, dedupe_key, delivery_id, spec, attempts, created_at, updated_at,
             started_at, finished_at, worker_id, lease_expires_at, cancel_requested_by, message)
           VALUES (@id, @seq, @state, @dedupe, @delivery, @spec, @attempts, @created, @updated,
             @started, @finishedAt, @worker, @lease, NULL, @message)`,
        );
        const row = (id: string, seq: number, state: string, request: EnqueueRequest) => ({
          id,
          seq,
          state,
          dedupe: request.dedupeKey,
          delivery: request.deliveryId,
          spec: JSON.stringify(request.spec),
          attempts: state === "queued" ? 0 : 1,
          created: NOW - 1000 + seq,
          updated: NOW - 500,
          started: state === "queued" ? null : NOW - 900,
          finishedAt: state === "succeeded" ? NOW - 800 : null,
          worker: state === "queued" ? null : "old-worker",
          lease: state === "running" ? NOW + LEASE : null,
          message: state === "succeeded" ? "opened #7" : null,
        });
        insert.run(row("finished-job", 1, "succeeded", finished));
        insert.run(row("running-job", 2, "running", running));
        insert.run(row("queued-job", 3, "queued", queued));
      } finally {
        raw.close();
      }
      return { running, queued, finished };
    };

    it("keeps every row, gives them no serial key, and bumps the version", async () => {
      const { running, queued, finished } = writeV1Database();

      const queue = open({ now: () => NOW });

      expect(await queue.get("finished-job")).toEqual({
        id: "finished-job",
        spec: finished.spec,
        state: "succeeded",
        dedupeKey: finished.dedupeKey,
        serialKey: null,
        attempts: 1,
        createdAt: NOW - 999,
        updatedAt: NOW - 500,
        startedAt: NOW - 900,
        finishedAt: NOW - 800,
        workerId: "old-worker",
        leaseExpiresAt: null,
        cancelRequestedBy: null,
        message: "opened #7",
      });
      expect(await queue.get("running-job")).toMatchObject({
        spec: running.spec,
        state: "running",
        serialKey: null,
        workerId: "old-worker",
        leaseExpiresAt: NOW + LEASE,
      });
      expect(await queue.get("queued-job")).toMatchObject({ spec: queued.spec, state: "queued", serialKey: null });
      expect((await queue.list()).map((job) => job.id)).toEqual(["queued-job", "running-job", "finished-job"]);

      const raw = new Database(path, { readonly: true });
      try {
        expect(raw.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
        const indexes = raw
          .prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs'`)
          .all()
          .map((row) => row.name);
        expect(indexes).not.toContain("jobs_active_dedupe");
        expect(indexes).toEqual(expect.arrayContaining(["jobs_queued_dedupe", "jobs_running_dedupe", "jobs_serial"]));
      } finally {
        raw.close();
      }
    });

    it("lets old jobs take part in follow-ups and claims in their original order", async () => {
      const { running, queued } = writeV1Database();
      const queue = open({ now: () => NOW });

      const followUp = await queue.enqueue({ ...requestFor(1, "new-follow-up"), followUp: true });
      expect(followUp.outcome).toBe("queued-behind");
      if (followUp.outcome !== "queued-behind") return;
      expect(followUp.running.id).toBe("running-job");
      expect(await queue.enqueue(requestFor(2, "new-duplicate"))).toMatchObject({ outcome: "already-active", job: { id: "queued-job" } });
      expect(await queue.enqueue(requestFor(2, "v1-queued"))).toMatchObject({ outcome: "duplicate-delivery" });

      expect((await queue.claim("new-worker", LEASE))?.id).toBe("queued-job");
      // The follow-up waits for the job the old version started.
      expect(await queue.claim("new-worker", LEASE)).toBeUndefined();
      expect(await queue.findActiveAll(running.dedupeKey)).toMatchObject([{ id: "running-job" }, { id: followUp.job.id }]);
      expect(queued.dedupeKey).not.toBe(running.dedupeKey);
    });

    it("migrates once: opening the upgraded file again changes nothing", async () => {
      writeV1Database();
      const first = open({ now: () => NOW });
      const before = await first.list();
      await first.close();

      const again = open({ now: () => NOW });

      expect(await again.list()).toEqual(before);
      await expect(
        again.enqueue({ ...requestFor(3, "keyed"), serialKey: serialKeyFor("octo-org/widgets", 3) }),
      ).resolves.toMatchObject({ outcome: "enqueued", job: { serialKey: "octo-org/widgets#3" } });
    });
  });

  describe("another process writing at the same time", () => {
    it("waits for the other writer's transaction and then sees the job it made", async () => {
      const queue = open();
      const request = requestFor(21);
      const holdMs = 400;
      // A plain-JS child stands in for a second planwright process: it inserts
      // a job for the same key and holds the write lock before committing.
      const child = spawn(
        process.execPath,
        [
          "-e",
          `
          const Database = require("better-sqlite3");
          const db = new Database(process.env.DB_PATH);
          db.exec("BEGIN IMMEDIATE");
          db.prepare("INSERT INTO jobs (id, seq, state, dedupe_key, delivery_id, spec, created_at, updated_at) VALUES ('from-child', 1, 'queued', ?, 'child-delivery', '{}', 0, 0)").run(process.env.DEDUPE_KEY);
          process.stdout.write("locked\\n");
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.env.HOLD_MS));
          db.exec("COMMIT");
          db.close();
          `,
        ],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, DB_PATH: path, DEDUPE_KEY: request.dedupeKey, HOLD_MS: String(holdMs) },
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          if (chunk.toString().includes("locked")) resolve();
        });
        child.on("exit", (code) => reject(new Error(`lock holder exited early with ${code}`)));
      });

      const result = await queue.enqueue(request);

      expect(result.outcome).toBe("already-active");
      expect(result.job.id).toBe("from-child");
      expect(await exited).toBe(0);
    });
  });

  describe("list", () => {
    it("lists newest first, filtered by state and limited", async () => {
      let time = 1000;
      const queue = open({ now: () => time });
      const ids: string[] = [];
      for (const issue of [1, 2, 3]) {
        ids.push((await queue.enqueue(requestFor(issue))).job.id);
        time += 1;
      }
      await queue.claim("worker-a", 1000);

      expect((await queue.list()).map((j) => j.id)).toEqual([ids[2], ids[1], ids[0]]);
      expect((await queue.list({ state: "queued" })).map((j) => j.id)).toEqual([ids[2], ids[1]]);
      expect((await queue.list({ state: "running" })).map((j) => j.id)).toEqual([ids[0]]);
      expect((await queue.list({ limit: 1 })).map((j) => j.id)).toEqual([ids[2]]);
      expect(await queue.list({ state: "failed" })).toEqual([]);
    });
  });

  it("gives up on an abandoned job after 3 claims by default", async () => {
    let time = 0;
    const queue = open({ now: () => time });
    const { job } = await queue.enqueue(requestFor(1));
    for (let claim = 0; claim < 3; claim++) {
      expect((await queue.claim("worker-a", 100))?.id).toBe(job.id);
      time += 100 + 10 * 60_000; // the lease, then the longest default retry delay
    }

    expect(await queue.claim("worker-a", 100)).toBeUndefined();
    expect((await queue.get(job.id))?.state).toBe("failed");
  });

  it("accepts an @-prefixed login for cancel without doubling the @", async () => {
    const queue = open();
    const { job } = await queue.enqueue(requestFor(1));

    const cancelled = await queue.cancel(job.id, "@octocat");

    expect(cancelled?.message).toBe("stopped by @octocat before it started");
    expect(cancelled?.cancelRequestedBy).toBe("octocat");
  });
});
