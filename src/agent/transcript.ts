import { createWriteStream, mkdirSync } from "node:fs";
import path from "node:path";

export interface TranscriptRecord {
  type: "request" | "response" | "tool_call" | "tool_result" | "model_error" | "event";
  [key: string]: unknown;
}

/** Where a run's every model request and response goes, for debugging afterwards. */
export interface Transcript {
  write(record: TranscriptRecord): void;
  close(): Promise<void>;
}

/**
 * JSONL under the data directory. `redact` runs over every serialised line,
 * so a token echoed by a tool or a key in a header never lands on disk.
 */
export function createJsonlTranscript(file: string, runId: string, redact: (text: string) => string): Transcript {
  mkdirSync(path.dirname(file), { recursive: true });
  const stream = createWriteStream(file, { flags: "a", mode: 0o600 });
  return {
    write(record) {
      stream.write(`${redact(JSON.stringify({ ts: new Date().toISOString(), runId, ...record }))}\n`);
    },
    close() {
      return new Promise((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
    },
  };
}

export const NO_TRANSCRIPT: Transcript = { write: () => undefined, close: async () => undefined };
