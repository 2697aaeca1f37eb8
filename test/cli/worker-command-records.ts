import { redisQueueKeys } from "../../src/queue/redis-keys.js";

/** Keys the scripted worker uses, under the queue's prefix so the test's cleanup removes them. */
export function commandRecordKeys(prefix: string): { started: string; gate: string } {
  const base = redisQueueKeys(prefix).jobPrefix.replace(/job:$/, "test:");
  return { started: `${base}started`, gate: `${base}gate` };
}
