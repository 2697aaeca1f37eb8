import type { Job, JobSpec, JobState } from "./job.js";

const JOB_STATES: readonly JobState[] = ["queued", "running", "succeeded", "failed", "cancelled"];

/**
 * Turns a job hash as the scripts return it (HGETALL's flat field/value list)
 * into a `Job`. Absent fields are nulls. The tracking comment id is its own
 * field, set after enqueue, because rewriting the spec JSON inside Lua would
 * go through cjson, which turns `[]` into `{}`.
 */
export function jobFromReply(reply: unknown): Job {
  const fields = fieldsOf(reply);
  const id = required(fields, "id");
  const spec = JSON.parse(required(fields, "spec")) as JobSpec;
  const trackingCommentId = fields.get("trackingCommentId");
  if (trackingCommentId !== undefined) spec.trackingCommentId = toNumber(id, "trackingCommentId", trackingCommentId);
  const number = (name: string): number => toNumber(id, name, required(fields, name));
  const numberOrNull = (name: string): number | null => {
    const value = fields.get(name);
    return value === undefined ? null : toNumber(id, name, value);
  };
  return {
    id,
    spec,
    state: toState(id, required(fields, "state")),
    dedupeKey: required(fields, "dedupeKey"),
    serialKey: fields.get("serialKey") ?? null,
    attempts: number("attempts"),
    createdAt: number("createdAt"),
    updatedAt: number("updatedAt"),
    startedAt: numberOrNull("startedAt"),
    finishedAt: numberOrNull("finishedAt"),
    workerId: fields.get("workerId") ?? null,
    leaseExpiresAt: numberOrNull("leaseExpiresAt"),
    cancelRequestedBy: fields.get("cancelRequestedBy") ?? null,
    message: fields.get("message") ?? null,
  };
}

/** A script's nil (Lua `false`) is `undefined`; anything else is a job hash. */
export function jobOrUndefined(reply: unknown): Job | undefined {
  return reply === null ? undefined : jobFromReply(reply);
}

/** A list of job hashes. */
export function jobsFromReply(reply: unknown): Job[] {
  return arrayOf(reply, "a list of jobs").map(jobFromReply);
}

export function arrayOf(reply: unknown, what: string): unknown[] {
  if (!Array.isArray(reply)) throw new Error(`Redis queue script returned ${describe(reply)} where ${what} was expected`);
  return reply;
}

export function stringOf(reply: unknown, what: string): string {
  if (typeof reply !== "string") throw new Error(`Redis queue script returned ${describe(reply)} where ${what} was expected`);
  return reply;
}

function fieldsOf(reply: unknown): Map<string, string> {
  const flat = arrayOf(reply, "a job hash");
  // An empty hash means the job key vanished (deleted by hand, or an evicting maxmemory-policy).
  if (flat.length === 0) throw new Error("Redis queue: a job's record is missing; was the key deleted or evicted?");
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) {
    fields.set(stringOf(flat[i], "a field name"), stringOf(flat[i + 1], "a field value"));
  }
  return fields;
}

function required(fields: Map<string, string>, name: string): string {
  const value = fields.get(name);
  if (value === undefined) throw new Error(`Redis queue: job ${fields.get("id") ?? "?"} has no "${name}" field`);
  return value;
}

function toNumber(id: string, name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`Redis queue: job ${id} has a non-numeric "${name}": "${value}"`);
  return n;
}

function toState(id: string, value: string): JobState {
  const state = JOB_STATES.find((s) => s === value);
  if (!state) throw new Error(`Redis queue: job ${id} has an unknown state "${value}"`);
  return state;
}

function describe(value: unknown): string {
  return Array.isArray(value) ? "a list" : value === null ? "nil" : typeof value;
}
