import path from "node:path";
import type { PlanwrightEnv } from "../config/env.js";
import { ConfigurationError } from "../errors.js";
import { RedisConnectionError, RedisJobQueue } from "./redis-job-queue.js";
import type { RedisJobQueueOptions } from "./redis-job-queue.js";
import { redactRedisUrl } from "./redis-url.js";
import { SqliteJobQueue } from "./sqlite-job-queue.js";
import { DEFAULT_RETRY_BACKOFF } from "./job-queue.js";
import type { RetryBackoff } from "./job-queue.js";
import type { PoolLogFn } from "./worker-pool.js";

export interface CreateQueueOptions {
  /** Redis key prefix; overrides PLANWRIGHT_REDIS_PREFIX (default `planwright`). */
  redisPrefix?: string;
  /** Only the Redis queue logs (connection losses); SQLite has nothing to say. */
  log?: { warn: PoolLogFn };
  /** Redis connect timeout, ms. Default 5000. */
  connectTimeoutMs?: number;
  /** Hear other processes' enqueues and stop requests (Redis only). Default true; one-shot CLI commands need not. */
  subscribe?: boolean;
}

/** The queue, tagged so callers can tell whether other machines can share it. */
export type CreatedQueue = (SqliteJobQueue & { kind: "sqlite" }) | RedisJobQueue;

/**
 * The queue `env` asks for: Redis when REDIS_URL is set (several machines),
 * else the embedded SQLite file `<PLANWRIGHT_DATA_DIR>/queue.db` (one machine).
 * Redis is connected before this resolves, so a wrong URL stops startup with
 * a message instead of failing every webhook later.
 */
export async function createQueue(env: PlanwrightEnv, options: CreateQueueOptions = {}): Promise<CreatedQueue> {
  const retryBackoff: RetryBackoff = { baseMs: env.retryDelayMs, maxMs: DEFAULT_RETRY_BACKOFF.maxMs };
  if (!env.redisUrl) {
    return Object.assign(new SqliteJobQueue({ path: sqliteQueuePath(env), retryBackoff }), { kind: "sqlite" as const });
  }
  const redisOptions: RedisJobQueueOptions = { url: env.redisUrl, cluster: env.redisCluster, retryBackoff };
  const prefix = options.redisPrefix ?? env.redisPrefix;
  if (prefix !== undefined) redisOptions.prefix = prefix;
  if (options.log) redisOptions.log = options.log;
  if (options.connectTimeoutMs !== undefined) redisOptions.connectTimeoutMs = options.connectTimeoutMs;
  if (options.subscribe !== undefined) redisOptions.subscribe = options.subscribe;
  try {
    return await RedisJobQueue.connect(redisOptions);
  } catch (error) {
    if (!(error instanceof RedisConnectionError)) throw error;
    throw new ConfigurationError(
      `REDIS_URL ${redactRedisUrl(env.redisUrl)} is not reachable: ${error.message}; ` +
        "start Redis or unset REDIS_URL to use the embedded queue",
      [],
      { cause: error },
    );
  }
}

export function sqliteQueuePath(env: PlanwrightEnv): string {
  return path.join(env.dataDir, "queue.db");
}
