import http from "node:http";
import type { AddressInfo } from "node:net";

/** The JSON body the SDK posted to /v1/messages. */
export interface RecordedRequest {
  model: string;
  max_tokens: number;
  system?: Array<{ type: string; text: string; cache_control?: unknown }>;
  tools?: Array<{ name: string; input_schema: unknown; cache_control?: unknown }>;
  messages: Array<{ role: string; content: string | Array<Record<string, unknown>> }>;
  [key: string]: unknown;
}

export interface Reply {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering (a slow model). */
  delayMs?: number;
}

export type Script = (request: RecordedRequest, index: number) => Reply | Promise<Reply>;

export interface ScriptedModel {
  /** For ANTHROPIC_BASE_URL / the SDK's baseURL. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A local stand-in for the Messages API: real HTTP on loopback, answers
 * scripted per request, every request recorded for assertions.
 */
export async function startScriptedModel(
  script: Script | Reply[],
  /** Where to listen and the host name in `url`; default 127.0.0.1 for both. */
  listen: { host: string; advertisedHost: string } = { host: "127.0.0.1", advertisedHost: "127.0.0.1" },
): Promise<ScriptedModel> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (raw += chunk));
    req.on("end", async () => {
      if (req.method !== "POST" || !req.url?.startsWith("/v1/messages")) {
        res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify(apiError(404, "not_found_error", "not found")));
        return;
      }
      const request = JSON.parse(raw) as RecordedRequest;
      const index = requests.length;
      requests.push(request);
      let reply: Reply;
      try {
        reply = Array.isArray(script) ? (script[index] ?? script.at(-1)!) : await script(request, index);
      } catch (error) {
        reply = { status: 500, body: apiError(500, "api_error", String(error)) };
      }
      if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
      if (res.destroyed) return;
      res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...reply.headers });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, listen.host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${listen.advertisedHost}:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface UsageFigures {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

const DEFAULT_USAGE: UsageFigures = { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
let counter = 0;

function message(content: unknown[], stopReason: string, model: string, usage: UsageFigures) {
  return {
    id: `msg_scripted_${++counter}`,
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: { ...DEFAULT_USAGE, ...usage },
  };
}

export function textReply(text: string, options: { usage?: Partial<UsageFigures>; model?: string; stopReason?: string } = {}): Reply {
  return {
    body: message([{ type: "text", text }], options.stopReason ?? "end_turn", options.model ?? "claude-sonnet-5-5", {
      ...DEFAULT_USAGE,
      ...options.usage,
    }),
  };
}

export function toolUseReply(
  calls: Array<{ name: string; input: Record<string, unknown>; id?: string }>,
  options: { text?: string; usage?: Partial<UsageFigures>; model?: string } = {},
): Reply {
  const content: unknown[] = options.text ? [{ type: "text", text: options.text }] : [];
  for (const call of calls) content.push({ type: "tool_use", id: call.id ?? `toolu_${++counter}`, name: call.name, input: call.input });
  return { body: message(content, "tool_use", options.model ?? "claude-sonnet-5-5", { ...DEFAULT_USAGE, ...options.usage }) };
}

export function errorReply(status: number, type: string, text = type): Reply {
  // retry-after-ms keeps the SDK's backoff short in tests; the SDK honours it.
  return { status, body: apiError(status, type, text), headers: { "retry-after-ms": "5" } };
}

function apiError(_status: number, type: string, message: string) {
  return { type: "error", error: { type, message } };
}

/** A complete report in the seed's format. */
export const SAMPLE_REPORT = [
  "## Implemented",
  "- [x] GET /health endpoint",
  "",
  "## Tests",
  "- [x] test/health.test.js passing (npm test)",
  "",
  "## Promises Verified",
  "- [x] The service answers health checks",
  "",
  "## Notes",
  "- None",
].join("\n");

/**
 * A tool call that writes `content` to `path`, the way an agent with the
 * seed's tools (no Write) does it: through Bash. Test contents only, so
 * they never hold a single quote.
 */
export function writeFileCall(path: string, content: string): { name: string; input: Record<string, unknown> } {
  if (content.includes("'") || path.includes("'")) throw new Error("writeFileCall: no single quotes in test files");
  const dir = path.includes("/") ? `mkdir -p '${path.slice(0, path.lastIndexOf("/"))}' && ` : "";
  return { name: "Bash", input: { command: `${dir}printf '%s' '${content}' > '${path}'` } };
}
