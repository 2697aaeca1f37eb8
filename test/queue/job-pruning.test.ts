import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dedupeKeyFor } from "../../src/queue/job.js";
import { startJobPruning } from "../../src/queue/job-pruning.js";
import type { JobPruning } from "../../src/queue/job-pruning.js";
import { SqliteJobQueue } from "../../src/queue/sqlite-job-queue.js";
import { makeJobSpec } from "../helpers/job-spec.js";

const DAY = 24 * 60 * 60 * 1000;

async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A queue whose prune only counts its calls. */
function countingQueue(): { calls: number; prune: () => Promise<number> } {
  const counted = {
    calls: 0,
    prune: async () => {
      counted.calls++;
      return 0;
    },
  };
  return counted;
}

describe("startJobPruning", () => {
  let dir: string;
  let queue: SqliteJobQueue;
  let time: number;
  const prunings: JobPruning[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "planwright-prune-"));
    time = 1_700_000_000_000;
    queue = new SqliteJobQueue({ path: join(dir, "jobs.db"), now: () => time });
  });

  afterEach(async () => {
    for (const pruning of prunings.splice(0)) await pruning.stop();
    await queue.close();
    await rm(dir, { recursive: true, force: true });
  });

  const finishedJob = async (issueNumber: number): Promise<string> => {
    const spec = makeJobSpec({ issueNumber, deliveryId: `delivery-${issueNumber}` });
    const { job } = await queue.enqueue({
      spec,
      deliveryId: spec.deliveryId,
      dedupeKey: dedupeKeyFor(spec.repository.fullName, issueNumber, spec.agent),
    });
    await queue.cancel(job.id, "octocat");
    return job.id;
  };

  it("deletes, in batches, every finished job older than the retention period and keeps newer ones", async () => {
    const old = [await finishedJob(1), await finishedJob(2), await finishedJob(3), await finishedJob(4), await finishedJob(5)];
    time += 10 * DAY;
    const recent = await finishedJob(6);
    time += 21 * DAY; // the first five are 31 days old, the sixth 21
    const logged: object[] = [];
    const pruning = startJobPruning({
      queue,
      retentionMs: 30 * DAY,
      batchSize: 2,
      firstPassAfterMs: 60_000,
      now: () => time,
      log: { info: (obj) => logged.push(obj as object), warn: () => undefined },
    });
    prunings.push(pruning);

    expect(await pruning.runOnce()).toBe(5);

    for (const id of old) expect(await queue.get(id)).toBeUndefined();
    expect((await queue.get(recent))?.state).toBe("cancelled");
    expect(logged).toEqual([{ deleted: 5, cutoff: time - 30 * DAY }]);
    expect(await pruning.runOnce()).toBe(0);
  });

  it("runs what alsoPrune names with the same cutoff, and logs each by name", async () => {
    const cutoffs: number[] = [];
    const logged: object[] = [];
    const pruning = startJobPruning({
      queue,
      retentionMs: 30 * DAY,
      alsoPrune: {
        transcripts: async (cutoff) => {
          cutoffs.push(cutoff);
          return 0;
        },
        mirrors: async (cutoff) => {
          cutoffs.push(cutoff);
          return 2;
        },
      },
      firstPassAfterMs: 60_000,
      now: () => time,
      log: { info: (obj) => logged.push(obj as object), warn: () => undefined },
    });
    prunings.push(pruning);

    await pruning.runOnce();

    expect(cutoffs).toEqual([time - 30 * DAY, time - 30 * DAY]);
    expect(logged).toEqual([{ deleted: 0, transcripts: 0, mirrors: 2, cutoff: time - 30 * DAY }]);
  });

  it("runs on its own timer after the first delay, and stops when told", async () => {
    const counted = countingQueue();
    const pruning = startJobPruning({ queue: counted, retentionMs: DAY, firstPassAfterMs: 5, intervalMs: 10 });
    prunings.push(pruning);

    await waitFor("three passes", () => counted.calls >= 3);
    await pruning.stop();
    const afterStop = counted.calls;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(counted.calls).toBe(afterStop);
  });

  it("logs a failed pass and tries again at the next interval", async () => {
    let calls = 0;
    const warnings: string[] = [];
    const pruning = startJobPruning({
      queue: {
        prune: async () => {
          calls++;
          if (calls === 1) throw new Error("Redis is restarting");
          return 0;
        },
      },
      retentionMs: DAY,
      firstPassAfterMs: 1,
      intervalMs: 10,
      log: { info: () => undefined, warn: (_obj, msg) => warnings.push(String(msg)) },
    });
    prunings.push(pruning);

    await waitFor("a pass after the failed one", () => calls >= 2);
    expect(warnings).toEqual(["pruning finished jobs failed; trying again at the next interval"]);
  });

  it("never runs with a retention of 0 (keep forever)", async () => {
    const counted = countingQueue();
    const pruning = startJobPruning({ queue: counted, retentionMs: 0, firstPassAfterMs: 1, intervalMs: 1 });
    prunings.push(pruning);

    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(counted.calls).toBe(0);
  });
});
