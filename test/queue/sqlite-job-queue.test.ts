import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigurationError } from "../../src/errors.js";
import { dedupeKeyFor } from "../../src/queue/job.js";
import type { EnqueueRequest } from "../../src/queue/job-queue.js";
import { SCHEMA_VERSION, SqliteJobQueue } from "../../src/queue/sqlite-job-queue.js";
import { makeJobSpec } from "../helpers/job-spec.js";
import { describeJobQueueContract } from "./job-queue-contract.js";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

describeJobQueueContract("SqliteJobQueue", async ({ now, maxAttempts }) => {
  const dir = await mkdtemp(join(tmpdir(), "planwright-queue-"));
  const path = join(dir, "state", "jobs.db");
  const handles: SqliteJobQueue[] = [];
  const open = async (): Promise<SqliteJobQueue> => {
    const handle = new SqliteJobQueue({ path, now, maxAttempts });
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
  const open = (options: { maxAttempts?: number; now?: () => number } = {}): SqliteJobQueue => {
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

  describe("active dedupe index", () => {
    it("makes the database itself refuse a second active job for a key", async () => {
      const queue = open();
      const { job } = await queue.enqueue(requestFor(3));
      const raw = new Database(path);
      try {
        const insert = raw.prepare(
          `INSERT INTO jobs (id, seq, state, dedupe_key, delivery_id, spec, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, '{}', 0, 0)`,
        );
        expect(() => insert.run("sneaky", 100, "queued", job.dedupeKey, "other-delivery")).toThrow(
          expect.objectContaining({ code: "SQLITE_CONSTRAINT_UNIQUE" }),
        );
        // Finished jobs do not count, so history can hold many per key.
        expect(() => insert.run("history", 101, "succeeded", job.dedupeKey, "older-delivery")).not.toThrow();
      } finally {
        raw.close();
      }
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
      time += 100;
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
