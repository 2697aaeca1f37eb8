import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQueue } from "../../src/queue/create-queue.js";
import { dedupeKeyFor } from "../../src/queue/job.js";
import { redisQueueKeyPattern } from "../../src/queue/redis-keys.js";
import { RedisJobQueue } from "../../src/queue/redis-job-queue.js";
import { loadEnv } from "../../src/config/env.js";
import { makeJobSpec } from "../helpers/job-spec.js";
import { describeJobQueueContract } from "./job-queue-contract.js";
import { startRedisCluster } from "./redis-cluster-harness.js";
import type { RedisClusterHandle } from "./redis-cluster-harness.js";
import { redisContractFactory, uniquePrefix, waitFor } from "./redis-harness.js";

let cluster: RedisClusterHandle;

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

// The whole contract again, against three masters: every script must find all
// of its keys in the one slot the `{prefix}` hash tag puts them in.
describeJobQueueContract(
  "RedisJobQueue on a Redis Cluster",
  redisContractFactory("cluster", () => ({ url: cluster.url, cluster: true })),
);

function request(issueNumber: number) {
  const deliveryId = `delivery-${issueNumber}-${Math.random().toString(36).slice(2)}`;
  const spec = makeJobSpec({ issueNumber, deliveryId });
  return { spec, deliveryId, dedupeKey: dedupeKeyFor(spec.repository.fullName, issueNumber, spec.agent) };
}

describe("RedisJobQueue on a Redis Cluster", () => {
  it("keeps all of one queue's keys on one node, in one slot", async () => {
    const prefix = uniquePrefix("slot");
    const queue = await RedisJobQueue.connect({ url: cluster.url, cluster: true, prefix, subscribe: false });
    const admin = new Cluster([{ host: "127.0.0.1", port: cluster.ports[0]! }]);
    try {
      for (let n = 1; n <= 5; n++) await queue.enqueue(request(n));
      await queue.claim("worker-a", 60_000);

      const found: { node: string; key: string }[] = [];
      for (const node of admin.nodes("master")) {
        const keys = await node.keys(redisQueueKeyPattern(prefix));
        found.push(...keys.map((key) => ({ node: `${node.options.host}:${node.options.port}`, key })));
      }
      expect(found.length).toBeGreaterThan(8);
      expect(new Set(found.map((f) => f.node)).size).toBe(1);
      const slots = await Promise.all(found.map((f) => admin.cluster("KEYSLOT", f.key)));
      expect(new Set(slots).size).toBe(1);
    } finally {
      await queue.close();
      admin.disconnect();
    }
  });

  it("tells a process connected through another node about enqueues and stop requests", async () => {
    const prefix = uniquePrefix("cluster-events");
    const listener = await RedisJobQueue.connect({ url: cluster.url, cluster: true, prefix });
    const other = await RedisJobQueue.connect({ url: `redis://127.0.0.1:${cluster.ports[2]}`, cluster: true, prefix });
    try {
      const enqueued: string[] = [];
      const cancelled: string[] = [];
      listener.onEnqueued((id) => enqueued.push(id));
      listener.onCancel((id) => cancelled.push(id));

      const { job } = await other.enqueue(request(1));
      await waitFor("the enqueue event", () => (enqueued.includes(job.id) ? true : undefined), 5000);
      await other.claim("worker-a", 60_000);
      await other.cancel(job.id, "octocat");
      await waitFor("the stop event", () => (cancelled.includes(job.id) ? true : undefined), 5000);
    } finally {
      await listener.close();
      await other.close();
    }
  });

  it("is what createQueue opens when REDIS_CLUSTER is on", async () => {
    const env = loadEnv({ PLANWRIGHT_REDIS_URL: cluster.url, REDIS_CLUSTER: "true", PLANWRIGHT_DATA_DIR: "/nonexistent" }, "/");
    const queue = await createQueue(env, { redisPrefix: uniquePrefix("create"), subscribe: false });
    try {
      expect(queue.kind).toBe("redis");
      const { job } = await queue.enqueue(request(7));
      expect((await queue.get(job.id))?.state).toBe("queued");
    } finally {
      await queue.close();
    }
  });

  it("refuses a database number, which a cluster does not have", async () => {
    await expect(RedisJobQueue.connect({ url: `${cluster.url}/2`, cluster: true, prefix: uniquePrefix("db") })).rejects.toThrow(
      /a Redis Cluster has only database 0/,
    );
  });

});
