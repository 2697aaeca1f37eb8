import vm from "node:vm";

// One context and script for every call: creating a context costs far more
// than running in one, and calls cannot overlap (they are synchronous).
const context = vm.createContext({ task: undefined as unknown });
const script = new vm.Script("task()");

export type Interruptible<T> = { ok: true; value: T } | { ok: false };

/**
 * Runs synchronous `task` for at most `timeoutMs`. A JavaScript regular
 * expression that backtracks catastrophically (`(a+)+$` on a long line) runs
 * for minutes and blocks the event loop, webhooks and lease renewals included;
 * node:vm's timeout interrupts even that, whatever realm the code came from.
 * Each call starts a watchdog (tens of microseconds), so call it per file, not
 * per line.
 */
export function runInterruptibly<T>(task: () => T, timeoutMs: number): Interruptible<T> {
  context.task = task;
  try {
    return { ok: true, value: script.runInContext(context, { timeout: Math.max(1, Math.ceil(timeoutMs)) }) as T };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_SCRIPT_EXECUTION_TIMEOUT") return { ok: false };
    throw error;
  } finally {
    context.task = undefined;
  }
}
