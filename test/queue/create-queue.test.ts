import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadEnv } from "../../src/config/env.js";
import { createQueue } from "../../src/queue/create-queue.js";
import type { CreatedQueue } from "../../src/queue/create-queue.js";
import { dedupeKeyFor } from "../../src/queue/job.js";
import { makeJobSpec } from "../helpers/job-spec.js";

const opened: CreatedQueue[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const queue of opened.splice(0)) await queue.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function embedded(env: NodeJS.ProcessEnv): Promise<CreatedQueue> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pw-create-queue-"));
  dirs.push(dir);
  const queue = await createQueue(loadEnv({ PLANWRIGHT_DATA_DIR: dir, ...env }, dir));
  opened.push(queue);
  return queue;
}

/** Claims a job with a 1 ms lease, lets it lapse, and says whether another worker may take it right away. */
async function retakenAtOnce(queue: CreatedQueue): Promise<boolean> {
  const spec = makeJobSpec({ issueNumber: 3, deliveryId: "d-3" });
  await queue.enqueue({ spec, deliveryId: "d-3", dedupeKey: dedupeKeyFor(spec.repository.fullName, 3, spec.agent) });
  expect(await queue.claim("worker-a", 1)).toBeDefined();
  await new Promise((resolve) => setTimeout(resolve, 20));
  return (await queue.claim("worker-b", 60_000)) !== undefined;
}

describe("createQueue", () => {
  it("opens the embedded queue in the data directory when no Redis is configured", async () => {
    expect((await embedded({})).kind).toBe("sqlite");
  });

  it("gives the queue PLANWRIGHT_RETRY_DELAY_SECONDS: a vanished worker's job waits 15 s by default, not at all with 0", async () => {
    expect(await retakenAtOnce(await embedded({}))).toBe(false);
    expect(await retakenAtOnce(await embedded({ PLANWRIGHT_RETRY_DELAY_SECONDS: "0" }))).toBe(true);
  });
});
