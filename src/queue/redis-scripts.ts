import { createHash } from "node:crypto";
import type { RedisClient } from "./redis-client.js";
import type { RedisQueueKeys } from "./redis-keys.js";

/**
 * The Redis queue's decisions, each one Lua script so it is atomic across
 * every process and machine sharing the queue: Redis runs a script to the end
 * before it serves any other client. They mirror SqliteJobQueue's transactions
 * statement for statement; read that file for the reasoning behind each rule.
 *
 * Calling convention for every script: KEYS are `scriptKeys(keys)`; ARGV[1]
 * and ARGV[2] are the job and serial key prefixes, ARGV[3] the caller's clock
 * in milliseconds ('' = Redis's own), and the script's own arguments follow.
 */

const PRELUDE = `
local deliveries, queuedByDedupe, runningByDedupe, runningBySerial = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local queued, running, all, seqKey = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local jobPrefix, serialPrefix = ARGV[1], ARGV[2]

-- Redis's clock unless the caller passed one (tests do), so machines whose
-- clocks disagree still agree on when a lease ends.
local function clock()
  if ARGV[3] ~= '' then return tonumber(ARGV[3]) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Lua numbers are doubles; this writes a millisecond timestamp without an exponent.
local function int(n) return string.format('%.0f', n) end

local function load(id) return redis.call('HGETALL', jobPrefix .. id) end

-- Takes a job out of the indexes of the state it is leaving.
local function unindex(id)
  local state, dk, sk = unpack(redis.call('HMGET', jobPrefix .. id, 'state', 'dedupeKey', 'serialKey'))
  if state == 'queued' then
    if redis.call('HGET', queuedByDedupe, dk) == id then redis.call('HDEL', queuedByDedupe, dk) end
    redis.call('ZREM', queued, id)
  elseif state == 'running' then
    if redis.call('HGET', runningByDedupe, dk) == id then redis.call('HDEL', runningByDedupe, dk) end
    if sk and redis.call('HGET', runningBySerial, sk) == id then redis.call('HDEL', runningBySerial, sk) end
    redis.call('ZREM', running, id)
  end
  if sk then redis.call('ZREM', serialPrefix .. sk, id) end
end

local function finishJob(id, state, message, now)
  unindex(id)
  redis.call('HSET', jobPrefix .. id, 'state', state, 'message', message, 'finishedAt', int(now), 'updatedAt', int(now))
  redis.call('HDEL', jobPrefix .. id, 'leaseExpiresAt')
end
`;

/** ARGV[4..]: id, deliveryId, dedupeKey, serialKey or '', followUp '1' or '', spec JSON, enqueued channel. */
const ENQUEUE = `
local id, deliveryId, dk, sk, followUp, spec = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8] == '1', ARGV[9]
local existing = redis.call('HGET', deliveries, deliveryId)
if existing then return {'duplicate-delivery', load(existing)} end
local runningId = redis.call('HGET', runningByDedupe, dk)
local queuedId = redis.call('HGET', queuedByDedupe, dk)
if followUp then
  -- The queued job has not started, so it will still see this feedback: batch into it.
  if queuedId then return {'already-active', load(queuedId)} end
else
  local active = runningId or queuedId
  if active then return {'already-active', load(active)} end
end
if redis.call('EXISTS', jobPrefix .. id) == 1 then return redis.error_reply('job id ' .. id .. ' is taken') end
local now = clock()
local seq = redis.call('INCR', seqKey)
local fields = {'id', id, 'seq', int(seq), 'state', 'queued', 'dedupeKey', dk, 'deliveryId', deliveryId, 'spec', spec,
  'attempts', '0', 'createdAt', int(now), 'updatedAt', int(now)}
if sk ~= '' then
  table.insert(fields, 'serialKey')
  table.insert(fields, sk)
end
redis.call('HSET', jobPrefix .. id, unpack(fields))
redis.call('HSET', deliveries, deliveryId, id)
redis.call('HSET', queuedByDedupe, dk, id)
redis.call('ZADD', queued, seq, id)
redis.call('ZADD', all, seq, id)
if sk ~= '' then redis.call('ZADD', serialPrefix .. sk, seq, id) end
redis.call('PUBLISH', ARGV[10], id)
if runningId then return {'queued-behind', load(id), load(runningId)} end
return {'enqueued', load(id)}
`;

/**
 * ARGV[4..]: workerId, leaseMs, maxAttempts, failure message with one %s for
 * the attempts, retry backoff base and cap in ms. Returns {claimed job or nil,
 * {jobs this call ended}}.
 */
const CLAIM = `
local workerId, leaseMs, maxAttempts, template = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local baseMs, maxMs = tonumber(ARGV[8]), tonumber(ARGV[9])
local now = clock()

-- retryDelayMs() in job-queue.ts; a job handed back by release has no worker and no delay.
local function retryAt(id)
  local attempts, expires, holder = unpack(redis.call('HMGET', jobPrefix .. id, 'attempts', 'leaseExpiresAt', 'workerId'))
  expires = tonumber(expires)
  if not holder or baseMs <= 0 then return expires end
  return expires + math.min(maxMs, baseMs * 2 ^ math.min(tonumber(attempts) - 1, 30))
end

-- Jobs whose worker vanished end here when a stop was asked or every attempt
-- is used up; the others stay running, to be taken again below. The ended
-- ones go back to the caller, who tells GitHub (no worker is left to).
local retired = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', running, '-inf', int(now))) do
  local attempts, by = unpack(redis.call('HMGET', jobPrefix .. id, 'attempts', 'cancelRequestedBy'))
  if by then
    finishJob(id, 'cancelled', 'stopped by @' .. by, now)
    table.insert(retired, load(id))
  elseif tonumber(attempts) >= maxAttempts then
    finishJob(id, 'failed', string.format(template, attempts), now)
    table.insert(retired, load(id))
  end
end

-- The oldest queued job whose dedupe key and serial key are not running. A
-- running job holds its keys even with an expired lease: it is reclaimed
-- below, ahead of anything waiting behind it.
local candidate, candidateSeq
local offset = 0
while not candidate do
  local page = redis.call('ZRANGE', queued, offset, offset + 99, 'WITHSCORES')
  if #page == 0 then break end
  for i = 1, #page, 2 do
    local dk, sk = unpack(redis.call('HMGET', jobPrefix .. page[i], 'dedupeKey', 'serialKey'))
    if redis.call('HEXISTS', runningByDedupe, dk) == 0 and (not sk or redis.call('HEXISTS', runningBySerial, sk) == 0) then
      candidate, candidateSeq = page[i], tonumber(page[i + 1])
      break
    end
  end
  offset = offset + 100
end

-- An expired job may be reclaimed once its retry delay has passed: it is the
-- one running job of its serial key (claim never starts a second), so no live
-- lease can block it.
for _, id in ipairs(redis.call('ZRANGEBYSCORE', running, '-inf', int(now))) do
  if retryAt(id) <= now then
    local seq = tonumber(redis.call('HGET', jobPrefix .. id, 'seq'))
    if not candidate or seq < candidateSeq then candidate, candidateSeq = id, seq end
  end
end
if not candidate then return {false, retired} end

local key = jobPrefix .. candidate
local state, dk, sk = unpack(redis.call('HMGET', key, 'state', 'dedupeKey', 'serialKey'))
if state == 'queued' then
  -- It stays in its serial key's set: that lists queued and running jobs alike.
  redis.call('ZREM', queued, candidate)
  if redis.call('HGET', queuedByDedupe, dk) == candidate then redis.call('HDEL', queuedByDedupe, dk) end
  redis.call('HSET', runningByDedupe, dk, candidate)
  if sk then redis.call('HSET', runningBySerial, sk, candidate) end
end
local expires = now + leaseMs
redis.call('HINCRBY', key, 'attempts', 1)
redis.call('HSET', key, 'state', 'running', 'workerId', workerId, 'leaseExpiresAt', int(expires),
  'startedAt', int(now), 'updatedAt', int(now))
redis.call('ZADD', running, int(expires), candidate)
return {load(candidate), retired}
`;

/** ARGV[4..]: jobId, workerId, leaseMs. */
const RENEW_LEASE = `
local id, workerId, leaseMs = ARGV[4], ARGV[5], tonumber(ARGV[6])
local key = jobPrefix .. id
local state, holder, by = unpack(redis.call('HMGET', key, 'state', 'workerId', 'cancelRequestedBy'))
if state ~= 'running' or holder ~= workerId then return 'lost' end
local now = clock()
local expires = now + leaseMs
-- Still extended when cancelled, so nobody reclaims the job while it winds down.
redis.call('HSET', key, 'leaseExpiresAt', int(expires), 'updatedAt', int(now))
redis.call('ZADD', running, int(expires), id)
if by then return 'cancelled' end
return 'ok'
`;

/**
 * ARGV[4]: jobId, ARGV[5]: workerId. The job stays running with a lapsed lease
 * and no worker, keeping its dedupe and serial keys, so the next claim's
 * expired-job path takes it before anything queued behind it.
 */
const RELEASE = `
local id, workerId = ARGV[4], ARGV[5]
local key = jobPrefix .. id
local state, holder, by, attempts = unpack(redis.call('HMGET', key, 'state', 'workerId', 'cancelRequestedBy', 'attempts'))
if state ~= 'running' or holder ~= workerId then return false end
local now = clock()
if by then
  finishJob(id, 'cancelled', 'stopped by @' .. by, now)
else
  redis.call('HDEL', key, 'workerId')
  redis.call('HSET', key, 'leaseExpiresAt', int(now), 'updatedAt', int(now),
    'attempts', tostring(math.max(tonumber(attempts) - 1, 0)))
  redis.call('ZADD', running, int(now), id)
end
return load(id)
`;

/**
 * ARGV[4]: finished before (ms), ARGV[5]: at most this many. Walks jobs oldest
 * first and stops at the first one created after the cutoff: nothing newer can
 * have finished before it.
 */
const PRUNE = `
local cutoff, limit = tonumber(ARGV[4]), tonumber(ARGV[5])
local deleted, offset = 0, 0
while deleted < limit do
  local ids = redis.call('ZRANGE', all, offset, offset + 199)
  if #ids == 0 then break end
  local kept = 0
  for _, id in ipairs(ids) do
    local key = jobPrefix .. id
    local state, createdAt, finishedAt, deliveryId = unpack(redis.call('HMGET', key, 'state', 'createdAt', 'finishedAt', 'deliveryId'))
    if createdAt and tonumber(createdAt) >= cutoff then return deleted end
    if (state == 'succeeded' or state == 'failed' or state == 'cancelled') and finishedAt and tonumber(finishedAt) < cutoff then
      if deliveryId and redis.call('HGET', deliveries, deliveryId) == id then redis.call('HDEL', deliveries, deliveryId) end
      redis.call('DEL', key)
      redis.call('ZREM', all, id)
      deleted = deleted + 1
      if deleted >= limit then return deleted end
    else
      kept = kept + 1
    end
  end
  -- Deleted ids left the set, so the next page starts after the ones kept.
  offset = offset + kept
end
return deleted
`;

/** ARGV[4..]: jobId, workerId, state, message. */
const FINISH = `
local id, workerId = ARGV[4], ARGV[5]
local state, holder = unpack(redis.call('HMGET', jobPrefix .. id, 'state', 'workerId'))
if state ~= 'running' or holder ~= workerId then return false end
finishJob(id, ARGV[6], ARGV[7], clock())
return load(id)
`;

/** ARGV[4..]: jobId, login, cancel channel. */
const CANCEL = `
local id, by = ARGV[4], ARGV[5]
local key = jobPrefix .. id
if redis.call('EXISTS', key) == 0 then return false end
local state, flagged = unpack(redis.call('HMGET', key, 'state', 'cancelRequestedBy'))
if state == 'queued' then
  finishJob(id, 'cancelled', 'stopped by @' .. by .. ' before it started', clock())
  redis.call('HSET', key, 'cancelRequestedBy', by)
elseif state == 'running' then
  if not flagged then redis.call('HSET', key, 'cancelRequestedBy', by, 'updatedAt', int(clock())) end
  -- Published on every request, so a worker that missed the first (while
  -- reconnecting) hears a second /backend stop.
  redis.call('PUBLISH', ARGV[6], id)
end
return load(id)
`;

/** ARGV[4..]: jobId, comment id. */
const SET_TRACKING_COMMENT = `
local key = jobPrefix .. ARGV[4]
if redis.call('EXISTS', key) == 1 then
  redis.call('HSET', key, 'trackingCommentId', ARGV[5], 'updatedAt', int(clock()))
end
return 1
`;

/** ARGV[4]: dedupe key. The running job, then the queued one. */
const FIND_ACTIVE_ALL = `
local out = {}
local runningId = redis.call('HGET', runningByDedupe, ARGV[4])
if runningId then table.insert(out, load(runningId)) end
local queuedId = redis.call('HGET', queuedByDedupe, ARGV[4])
if queuedId then table.insert(out, load(queuedId)) end
return out
`;

/** ARGV[4]: serial key. Running first, then queued in claim order. */
const LIST_BY_SERIAL_KEY = `
local runningJobs, queuedJobs = {}, {}
for _, id in ipairs(redis.call('ZRANGE', serialPrefix .. ARGV[4], 0, -1)) do
  if redis.call('HGET', jobPrefix .. id, 'state') == 'running' then
    table.insert(runningJobs, load(id))
  else
    table.insert(queuedJobs, load(id))
  end
end
for _, job in ipairs(queuedJobs) do table.insert(runningJobs, job) end
return runningJobs
`;

/** ARGV[4..]: state or '', limit. Newest first. */
const LIST = `
local want, limit = ARGV[4], tonumber(ARGV[5])
local out = {}
local offset = 0
while #out < limit do
  local ids = redis.call('ZREVRANGE', all, offset, offset + 199)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    if want == '' or redis.call('HGET', jobPrefix .. id, 'state') == want then
      table.insert(out, load(id))
      if #out >= limit then break end
    end
  end
  offset = offset + 200
end
return out
`;

/** A Lua script run by hash, loaded on first use and again after Redis restarts (NOSCRIPT). */
export class LuaScript {
  readonly source: string;
  readonly sha: string;

  constructor(body: string) {
    this.source = `${PRELUDE}\n${body}`;
    this.sha = createHash("sha1").update(this.source).digest("hex");
  }

  async run(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      // EVAL also caches the script, so the next call's EVALSHA finds it.
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

export const QUEUE_SCRIPTS = {
  enqueue: new LuaScript(ENQUEUE),
  claim: new LuaScript(CLAIM),
  renewLease: new LuaScript(RENEW_LEASE),
  finish: new LuaScript(FINISH),
  release: new LuaScript(RELEASE),
  prune: new LuaScript(PRUNE),
  cancel: new LuaScript(CANCEL),
  setTrackingComment: new LuaScript(SET_TRACKING_COMMENT),
  findActiveAll: new LuaScript(FIND_ACTIVE_ALL),
  listBySerialKey: new LuaScript(LIST_BY_SERIAL_KEY),
  list: new LuaScript(LIST),
} as const;

/** KEYS[1..8] of every script, in the order PRELUDE names them. */
export function scriptKeys(keys: RedisQueueKeys): string[] {
  return [
    keys.deliveries,
    keys.queuedByDedupe,
    keys.runningByDedupe,
    keys.runningBySerial,
    keys.queued,
    keys.running,
    keys.all,
    keys.seq,
  ];
}
