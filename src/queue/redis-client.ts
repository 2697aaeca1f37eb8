import { Cluster, Redis } from "ioredis";
import { ConfigurationError } from "../errors.js";

/** One Redis server, or a Redis Cluster; the queue needs nothing that differs between them. */
export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  /** REDIS_URL; with `cluster`, the address of any one node (the others are discovered). */
  url: string;
  cluster?: boolean;
  connectTimeoutMs: number;
  maxRetriesPerRequest: number;
}

/**
 * A client that connects when `connect()` is called, so the caller decides
 * when an unreachable Redis is reported. In a cluster every queue key carries
 * one hash tag, `{prefix}`, so all of them live in one slot and each Lua
 * script runs on the one node that owns it.
 */
export function createRedisClient(options: RedisClientOptions): RedisClient {
  const common = { connectTimeout: options.connectTimeoutMs, maxRetriesPerRequest: options.maxRetriesPerRequest };
  if (!options.cluster) return new Redis(options.url, { lazyConnect: true, ...common });
  const url = new URL(options.url);
  const db = url.pathname.replace(/^\//, "");
  if (db !== "" && db !== "0") {
    throw new ConfigurationError(`REDIS_URL selects database ${db}, but a Redis Cluster has only database 0.`, [
      "REDIS_URL: drop the /database part when REDIS_CLUSTER is on",
    ]);
  }
  return new Cluster([{ host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port || 6379) }], {
    lazyConnect: true,
    redisOptions: {
      ...common,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.protocol === "rediss:" ? { tls: {} } : {}),
    },
  });
}
