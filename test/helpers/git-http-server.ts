import { spawn } from "node:child_process";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

export interface GitHttpRequest {
  method: string;
  /** `/<repo path under root>/info/refs`, `/…/git-upload-pack`, `/…/git-receive-pack`. */
  path: string;
  query: string;
  /** True when the request carried `Authorization: Basic base64(x-access-token:<token>)`. */
  authorized: boolean;
  /** The protocol v2 command of an upload-pack POST (`ls-refs`, `fetch`). */
  command?: string;
}

export interface GitHttpServerOptions {
  /** Directory holding the bare repositories; `<url>/<path below root>` serves each. */
  root: string;
  /** The only credential accepted, as GitHub takes an installation token. */
  token: string;
  /**
   * Called for each authorized request before git answers it; return a
   * promise to hold the answer back (e.g. to abort a client mid-fetch).
   */
  hold?: (request: GitHttpRequest, incoming: IncomingMessage) => Promise<void> | undefined;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>`; a repository's clone URL is `${url}/<owner>/<name>.git`. */
  url: string;
  requests: GitHttpRequest[];
  close(): Promise<void>;
}

/**
 * Git smart HTTP as GitHub serves it, for tests: `git http-backend` behind a
 * small CGI bridge on node's `http`, requiring the installation-token basic
 * credentials GitHub expects and answering 401 otherwise.
 */
export async function startGitHttpServer(options: GitHttpServerOptions): Promise<GitHttpServer> {
  const expected = `Basic ${Buffer.from(`x-access-token:${options.token}`).toString("base64")}`;
  const requests: GitHttpRequest[] = [];

  const server = http.createServer((incoming, response) => {
    void handle(incoming, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500);
      response.end(String(error));
    });
  });

  async function handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(incoming.url ?? "/", "http://localhost");
    const body = await readBody(incoming);
    const request: GitHttpRequest = {
      method: incoming.method ?? "GET",
      path: decodeURIComponent(url.pathname),
      query: url.search.replace(/^\?/, ""),
      authorized: incoming.headers.authorization === expected,
    };
    if (request.path.endsWith("/git-upload-pack")) {
      const command = /command=([a-z-]+)/.exec(decodedBody(body, incoming).toString("latin1"))?.[1];
      if (command) request.command = command;
    }
    requests.push(request);
    if (!request.authorized) {
      response.writeHead(401, { "WWW-Authenticate": 'Basic realm="GitHub"', "Content-Type": "text/plain" });
      response.end("Authentication required\n");
      return;
    }
    await options.hold?.(request, incoming);
    await runBackend(incoming, response, request, body);
  }

  async function runBackend(incoming: IncomingMessage, response: ServerResponse, request: GitHttpRequest, body: Buffer): Promise<void> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      GIT_PROJECT_ROOT: options.root,
      GIT_HTTP_EXPORT_ALL: "1",
      // http-backend enables receive-pack (push) for authenticated users only.
      REMOTE_USER: "x-access-token",
      REMOTE_ADDR: "127.0.0.1",
      REQUEST_METHOD: request.method,
      PATH_INFO: request.path,
      QUERY_STRING: request.query,
      CONTENT_TYPE: incoming.headers["content-type"] ?? "",
      CONTENT_LENGTH: String(body.length),
    };
    const protocol = incoming.headers["git-protocol"];
    if (typeof protocol === "string") env.GIT_PROTOCOL = protocol;
    const encoding = incoming.headers["content-encoding"];
    if (typeof encoding === "string") env.HTTP_CONTENT_ENCODING = encoding;

    const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
    // A client that goes away (an aborted fetch) takes its backend with it.
    response.on("close", () => {
      if (child.exitCode === null) child.kill();
    });
    child.stdin.on("error", () => {});
    child.stdin.end(body);
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });

    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) {
        response.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      headersDone = true;
      const { status, headers } = parseCgiHeaders(head.subarray(0, end).toString("latin1"));
      response.writeHead(status, headers);
      response.write(head.subarray(end + 4));
    });
    await new Promise<void>((resolve) => {
      child.on("close", () => {
        if (!headersDone && !response.headersSent) {
          response.writeHead(500, { "Content-Type": "text/plain" });
          response.write(stderr);
        }
        response.end();
        resolve();
      });
    });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(incoming: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Git gzips large request bodies; the command is read from the plain form. */
function decodedBody(body: Buffer, incoming: IncomingMessage): Buffer {
  if (incoming.headers["content-encoding"] !== "gzip") return body;
  try {
    return gunzipSync(body);
  } catch {
    return Buffer.alloc(0);
  }
}

function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 200;
    else headers[name] = value;
  }
  return { status, headers };
}
