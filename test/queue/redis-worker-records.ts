import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { redisQueueKeys } from "../../src/queue/redis-keys.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CHILD = fileURLToPath(new URL("./redis-worker-process.ts", import.meta.url));

/** Lists the worker processes append to, under the queue's prefix so cleanup removes them. */
export function childRecordKeys(prefix: string): { started: string; finished: string; aborted: string; gate: string } {
  const base = `${redisQueueKeys(prefix).jobPrefix.replace(/job:$/, "")}test:`;
  return { started: `${base}started`, finished: `${base}finished`, aborted: `${base}aborted`, gate: `${base}gate` };
}

/** One line a worker process appended: `<jobId> <workerId> <attempt or time>`. */
export interface ChildRecord {
  jobId: string;
  workerId: string;
  value: number;
}

export function parseRecords(lines: string[]): ChildRecord[] {
  return lines.map((line) => {
    const [jobId = "", workerId = "", value = ""] = line.split(" ");
    return { jobId, workerId, value: Number(value) };
  });
}

export interface WorkerProcess {
  child: ChildProcess;
  workerId: string;
  output: () => string;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Starts redis-worker-process.ts with tsx and waits until its pool runs. */
export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? ROOT, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const workerId = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker process did not start within 20 s:\n${output}`)), 20_000);
    const onData = (): void => {
      const ready = /^ready (\S+)$/m.exec(output);
      if (!ready?.[1]) return;
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      resolve(ready[1]);
    };
    child.stdout?.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited with ${code} before it was ready:\n${output}`));
    });
  });
  return {
    child,
    workerId,
    output: () => output,
    exited,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
