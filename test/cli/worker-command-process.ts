/**
 * `planwright worker` as main.ts starts it (real SIGTERM/SIGINT handling),
 * with a scripted runner instead of the pipeline, for worker-command.test.ts.
 * Each job records its start and waits until the test opens the gate.
 *
 * Environment: what the worker reads (REDIS_URL, APP_ID, PRIVATE_KEY, …) plus
 * QUEUE_PREFIX; arguments are passed through to the command.
 */
import { Redis } from "ioredis";
import { pino } from "pino";
import { stopSignalOn } from "../../src/cli/stop-signal.js";
import { workerCommand } from "../../src/cli/worker-command.js";
import { commandRecordKeys } from "./worker-command-records.js";

const prefix = process.env.QUEUE_PREFIX ?? "";
const keys = commandRecordKeys(prefix);
const recorder = new Redis(process.env.REDIS_URL ?? "");

const code = await workerCommand(
  process.argv.slice(2),
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    signal: stopSignalOn(["SIGTERM", "SIGINT"]),
  },
  {
    redisPrefix: prefix,
    log: pino({ level: "warn" }),
    runnerFactory: async () => async (job) => {
      await recorder.rpush(keys.started, job.id);
      while ((await recorder.exists(keys.gate)) === 0) await new Promise((r) => setTimeout(r, 20));
      return { state: "succeeded", message: "finished after the gate opened" };
    },
  },
);
await recorder.quit();
process.exitCode = code;
