import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import { probeWritableDir } from "../health/probe-writable-dir.js";
import type { JobQueue } from "../queue/job-queue.js";

export interface HealthDependencies {
  /** Readiness asks it for a job that does not exist: a round trip with no side effects. */
  queue: Pick<JobQueue, "get">;
  /** PLANWRIGHT_DATA_DIR: the queue database, mirrors and transcripts all need to write there. */
  dataDir: string;
  registry: Pick<Registry, "metrics" | "contentType">;
  /** When the process started, in ms since the epoch. */
  startedAt: number;
  /** Default 2000: well under the usual 5 s probe timeout, so the probe sees a 503, not a hang. */
  readyTimeoutMs?: number;
  now?: () => number;
  /**
   * PLANWRIGHT_METRICS_TOKEN: when set, `/metrics` wants `Authorization: Bearer <token>`.
   * The probes stay open because orchestrators send no credentials.
   */
  metricsToken?: string;
  /** Gets the errors the responses leave out (Probot's `app.log` fits). */
  log?: { warn(obj: object, msg: string): void };
}

/** Matches Probot's `Handler`, without importing Probot into a plain HTTP module. */
export type HealthHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const ROUTES = new Set(["/healthz", "/readyz", "/metrics"]);
const PROBE_JOB_ID = "readyz-probe";
const METRICS_CHALLENGE = { "WWW-Authenticate": 'Bearer realm="planwright-metrics"' };

/**
 * `GET /healthz` (the process answers), `GET /readyz` (it can take work:
 * queue reachable, data directory writable) and `GET /metrics` (Prometheus).
 * Returns false for every other path so Probot's own handlers get the request.
 */
export function createHealthHandler(deps: HealthDependencies): HealthHandler {
  const now = deps.now ?? Date.now;
  const readyTimeoutMs = deps.readyTimeoutMs ?? 2000;
  const expectedDigest = deps.metricsToken === undefined ? undefined : sha256(deps.metricsToken);

  return async (req, res) => {
    const pathname = pathOf(req.url);
    if (!pathname || !ROUTES.has(pathname)) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendError(res, 405, "method_not_allowed", `${pathname} only answers GET (and HEAD); this was ${req.method ?? "no method"}.`, {
        Allow: "GET, HEAD",
      });
      return true;
    }
    switch (pathname) {
      case "/healthz":
        sendJson(res, 200, { status: "ok", uptimeSeconds: Math.max(0, Math.floor((now() - deps.startedAt) / 1000)) });
        return true;
      case "/readyz": {
        const problems = await readinessProblems(deps, readyTimeoutMs);
        if (problems.length === 0) sendJson(res, 200, { status: "ready" });
        else sendError(res, 503, "not_ready", problems.join(" "));
        return true;
      }
      default: {
        if (expectedDigest && !bearerMatches(req.headers.authorization, expectedDigest)) {
          sendError(
            res,
            401,
            "unauthorized",
            "/metrics needs a bearer token: send the token configured in PLANWRIGHT_METRICS_TOKEN as " +
              '"Authorization: Bearer <token>" (in Prometheus, the scrape job\'s authorization.credentials).',
            METRICS_CHALLENGE,
          );
          return true;
        }
        let text: string;
        try {
          text = await deps.registry.metrics();
        } catch (error) {
          deps.log?.warn({ err: error }, "collecting metrics failed");
          sendError(res, 500, "metrics_failed", "Collecting metrics failed; the server log has the error.");
          return true;
        }
        send(res, 200, deps.registry.contentType, text);
        return true;
      }
    }
  };
}

/** Both checks run at once; each failure is one sentence saying what to do. */
async function readinessProblems(deps: HealthDependencies, timeoutMs: number): Promise<string[]> {
  const seconds = timeoutMs / 1000;
  const [queue, dataDir] = await Promise.all([
    // Through `then`, so a backend that throws instead of rejecting is still an answer.
    withTimeout(Promise.resolve().then(() => deps.queue.get(PROBE_JOB_ID)), timeoutMs, (error) => deps.log?.warn({ err: error }, "readyz: the job queue failed")),
    withTimeout(probeWritableDir(deps.dataDir), timeoutMs),
  ]);
  if (dataDir.status === "ok" && !dataDir.value.writable) {
    deps.log?.warn({ dataDir: deps.dataDir, reason: dataDir.value.message }, "readyz: the data directory is not writable");
  }
  const problems: string[] = [];
  if (queue.status === "timeout") {
    problems.push(
      `The job queue did not answer within ${seconds} s: check that Redis (REDIS_URL) is up and reachable, or that ` +
        "the SQLite queue under PLANWRIGHT_DATA_DIR is not locked by a stuck process.",
    );
  } else if (queue.status === "error") {
    // The error text stays out: this endpoint is as public as the webhook URL.
    problems.push(
      "The job queue failed to answer: check that Redis (REDIS_URL) is up and reachable, or that the SQLite queue " +
        "under PLANWRIGHT_DATA_DIR is readable; the server log has the error.",
    );
  }
  if (dataDir.status === "timeout") {
    problems.push(`The data directory ${deps.dataDir} did not accept a write within ${seconds} s: check its disk or mount.`);
  } else if (dataDir.status === "error" || !dataDir.value.writable) {
    const code = dataDir.status === "ok" && !dataDir.value.writable ? ` (${dataDir.value.code})` : "";
    problems.push(
      `The data directory ${deps.dataDir} is not writable${code}: point PLANWRIGHT_DATA_DIR at a directory this ` +
        "process can write (in Docker, a volume the node user owns) and check the disk is not full or read-only.",
    );
  }
  return problems;
}

type Settled<T> = { status: "ok"; value: T } | { status: "error" } | { status: "timeout" };

function withTimeout<T>(promise: Promise<T>, ms: number, onError?: (error: unknown) => void): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ status: "timeout" }), ms);
  });
  const settled = promise.then(
    (value): Settled<T> => ({ status: "ok", value }),
    (error: unknown): Settled<T> => {
      onError?.(error);
      return { status: "error" };
    },
  );
  return Promise.race([settled, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Hashing first gives timingSafeEqual the equal lengths it needs, so neither
 * the comparison nor a length check tells a caller how close a guess came.
 */
function bearerMatches(header: string | undefined, expectedDigest: Buffer): boolean {
  // The scheme is case-insensitive (RFC 9110); the token itself is compared exactly.
  const match = /^Bearer +(\S+) *$/i.exec(header ?? "");
  return match?.[1] !== undefined && timingSafeEqual(sha256(match[1]), expectedDigest);
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

function pathOf(url: string | undefined): string | undefined {
  try {
    return new URL(url ?? "/", "http://localhost").pathname;
  } catch {
    return undefined;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, "application/json; charset=utf-8", JSON.stringify(body), headers);
}

function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { code, message } }, headers);
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  // Probes and scrapers must see the state now, never a proxy's copy.
  res.writeHead(status, { "Content-Type": contentType, "Cache-Control": "no-store", ...headers });
  res.end(body);
}
