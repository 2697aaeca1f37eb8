/**
 * Where the Redis queue keeps things. Every name starts with `{prefix}`: the
 * braces are a Redis Cluster hash tag, so all of one queue's keys live in one
 * slot and a Lua script may touch any of them atomically.
 */
export interface RedisQueueKeys {
  /** Job hashes are `<jobPrefix><id>`. */
  jobPrefix: string;
  /** Active jobs per serial key, a sorted set by `seq`: `<serialPrefix><serialKey>`. */
  serialPrefix: string;
  /** Hash: delivery id → job id, kept forever like SQLite's unique column. */
  deliveries: string;
  /** Hash: dedupe key → the queued job's id. */
  queuedByDedupe: string;
  /** Hash: dedupe key → the running job's id. */
  runningByDedupe: string;
  /** Hash: serial key → the running job's id (claim lets at most one run). */
  runningBySerial: string;
  /** Sorted set of queued job ids by `seq` (claim order). */
  queued: string;
  /** Sorted set of running job ids by lease expiry, so expired leases are one range query away. */
  running: string;
  /** Sorted set of every job id by `seq`, for `list()`. */
  all: string;
  /** Counter that orders jobs, also within one millisecond and across machines whose clocks disagree. */
  seq: string;
  /** String: the data layout version, so an older planwright refuses data it does not understand. */
  schema: string;
  /** Pub/sub: a job id, published when a job is enqueued. */
  enqueuedChannel: string;
  /** Pub/sub: a job id, published when someone asks a running job to stop. */
  cancelChannel: string;
}

export const DEFAULT_REDIS_PREFIX = "planwright";

export function redisQueueKeys(prefix: string = DEFAULT_REDIS_PREFIX): RedisQueueKeys {
  if (prefix === "" || /[{}]/.test(prefix)) {
    throw new RangeError(`the Redis key prefix must be non-empty and contain no braces, got "${prefix}"`);
  }
  const base = `{${prefix}}`;
  return {
    jobPrefix: `${base}:job:`,
    serialPrefix: `${base}:serial:`,
    deliveries: `${base}:deliveries`,
    queuedByDedupe: `${base}:queued-by-dedupe`,
    runningByDedupe: `${base}:running-by-dedupe`,
    runningBySerial: `${base}:running-by-serial`,
    queued: `${base}:queued`,
    running: `${base}:running`,
    all: `${base}:all`,
    seq: `${base}:seq`,
    schema: `${base}:schema`,
    enqueuedChannel: `${base}:events:enqueued`,
    cancelChannel: `${base}:events:cancel`,
  };
}

/** The glob that matches every key of one queue, for tests and operators cleaning up. */
export function redisQueueKeyPattern(prefix: string = DEFAULT_REDIS_PREFIX): string {
  // `{` and `}` are not glob metacharacters in Redis; only `*?[\` need escaping.
  return `{${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}}:*`;
}
