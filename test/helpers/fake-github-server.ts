import { randomBytes, randomUUID } from "node:crypto";
import { createServer, request as httpRequest } from "node:http";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Permission } from "../../src/github/port.js";
import type {
  AddCommentOptions,
  AddIssueOptions,
  AddPullRequestOptions,
  AddRepositoryOptions,
  AddReviewOptions,
  AuthKind,
  FakeApp,
  FakeIssue,
  FakeIssueComment,
  FakePullRequest,
  FakeRepository,
  FakeReview,
  FakeReviewComment,
  FakeToken,
  ReactionContentName,
  ReactionSubject,
  RecordedRequest,
} from "./fake-github-state.js";
import { FakeGitHubState, REACTION_CONTENTS } from "./fake-github-state.js";
import { GitHubShapes } from "./fake-github-shapes.js";
import { recognizeGraphql } from "./fake-github-graphql.js";
import { startGitHttpServer } from "./git-http-server.js";
import type { GitHttpServer, GitHttpServerOptions } from "./git-http-server.js";

export * from "./fake-github-state.js";
export * from "./fake-github-webhooks.js";
export type { GitHubShapes } from "./fake-github-shapes.js";
export { DRAFT_MUTATIONS, graphqlRoute } from "./fake-github-graphql.js";

/*
 * A fake GitHub Enterprise Server on loopback: the REST API under `/api/v3`
 * in GitHub's response shapes, the two GraphQL mutations planwright uses at
 * `/api/graphql`, installation-token auth, and git smart HTTP
 * under `/<owner>/<repo>.git/` (credentials checked here, git itself served by
 * test/helpers/git-http-server.ts or any handler passed in). The real
 * planwright server runs against it with `GHE_HOST=<host> GHE_PROTOCOL=http`,
 * and a test asserts on what reached "GitHub" through `fake.state` and
 * `fake.requests`.
 */

/** Serves git smart HTTP for a request whose credentials the fake has already checked. */
export type GitHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface StartFakeGitHubOptions {
  /** The app's slug; its bot is `<slug>[bot]`. Default `planwright`. */
  appSlug?: string;
  /** The app id JWTs must name as issuer. Default 123, as in test/helpers/probot.ts. */
  appId?: number;
  /** The installation repositories belong to unless told otherwise. Default 77. */
  installationId?: number;
  /** The account that installation is on. Default `acme`. */
  installationAccount?: string;
  /** How long installation tokens live. Default one hour, as on GitHub. */
  tokenTtlMs?: number;
  /** Serves `/<owner>/<repo>.git/...` once the fake has authenticated the request. */
  gitHandler?: GitHandler;
  /**
   * Serves git smart HTTP from bare repositories at `<root>/<owner>/<name>.git`
   * through test/helpers/git-http-server.ts. Repositories added without
   * `files` or `bareRepoPath` then read their contents from there too.
   */
  git?: { root: string; hold?: GitHttpServerOptions["hold"] };
  /**
   * Where to listen, and the host name the fake puts in the URLs it hands out
   * (clone URLs, `html_url`s). Default 127.0.0.1 for both; the Docker test
   * listens on every interface and advertises an address containers reach.
   */
  listen?: { host: string; advertisedHost: string };
}

/** Makes a request matching `route` fail, as GitHub sometimes does. */
export interface Failure {
  /**
   * A route template as recorded in `RecordedRequest.route`, e.g. `POST /repos/{owner}/{repo}/issues/{issue_number}/comments`
   * or `GRAPHQL convertPullRequestToDraft` (GraphQL reports most errors with HTTP 200 and an `errors` body).
   */
  route: string;
  status: number;
  /** How many matching requests fail; default 1. */
  times?: number;
  body?: unknown;
}

export interface FakeGitHub {
  /** `http://127.0.0.1:PORT` (or the advertised host). */
  url: string;
  /** `${url}/api/v3` */
  apiUrl: string;
  /** `127.0.0.1:PORT`, for GHE_HOST. */
  host: string;
  state: FakeGitHubState;
  app: FakeApp;
  /** `<slug>[bot]`. */
  botLogin: string;
  installationId: number;
  repos: {
    add(options: AddRepositoryOptions): FakeRepository;
    get(owner: string, name: string): FakeRepository | undefined;
  };
  setPermission(owner: string, repo: string, login: string, role: Permission): void;
  addIssue(options: AddIssueOptions): FakeIssue;
  addComment(options: AddCommentOptions): FakeIssueComment;
  addPullRequest(options: AddPullRequestOptions): Promise<FakePullRequest>;
  addReview(options: AddReviewOptions): Promise<{ review: FakeReview; comments: FakeReviewComment[] }>;
  commentsOn(owner: string, repo: string, issueNumber: number): FakeIssueComment[];
  /** Every request, in arrival order. */
  requests: RecordedRequest[];
  /** Requests no route answered: a test asserts this is empty to know the fake covered everything planwright asked. */
  unhandledRequests(): RecordedRequest[];
  /** Requests one route template answered. */
  requestsTo(route: string): RecordedRequest[];
  /** Expires the given tokens (all when omitted) now; returns how many were live. */
  expireTokens(tokens?: string | string[]): number;
  revokeToken(token: string): void;
  liveTokens(): FakeToken[];
  failNext(failure: Failure): void;
  /** Sets or replaces the git handler, for a bridge that needs the fake's URL before it can start. */
  setGitHandler(handler: GitHandler | undefined): void;
  /** The git bridge started for `options.git`: its request log shows what reached git. */
  gitServer: GitHttpServer | undefined;
  close(): Promise<void>;
}

const API_PREFIX = "/api/v3";
const GRAPHQL_PATH = "/api/graphql";
const DOCS = "https://docs.github.com/enterprise-server@3.17/rest";
const JSON_TYPE = "application/json; charset=utf-8";

interface Reply {
  status: number;
  json?: unknown;
  text?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

interface Context {
  method: string;
  url: URL;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  headers: IncomingHttpHeaders;
  token: FakeToken | undefined;
}

interface RepoContext extends Context {
  repo: FakeRepository;
  /** Who the request acts as: the app's bot, since installation tokens are the only credentials. */
  actor: string;
}

type RouteAuth = "jwt" | "installation";

interface Route {
  method: string;
  template: string;
  segments: string[];
  auth: RouteAuth;
  handle: (ctx: Context) => Promise<Reply> | Reply;
}

function githubError(status: number, message: string, extra: Record<string, unknown> = {}): Reply {
  return { status, json: { message, ...extra, documentation_url: DOCS, status: String(status) } };
}

const notFound = (): Reply => githubError(404, "Not Found");
const badCredentials = (): Reply => githubError(401, "Bad credentials");

function validationFailed(errors: Array<Record<string, unknown>>): Reply {
  return githubError(422, "Validation Failed", { errors });
}

/** GitHub's wording when a required body field is absent or of the wrong type. */
function invalidRequest(detail: string): Reply {
  return githubError(422, `Invalid request.\n\n${detail}`);
}

function json(status: number, data: unknown, headers?: Record<string, string>): Reply {
  return headers ? { status, json: data, headers } : { status, json: data };
}

function positiveInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function bodyField(body: unknown, name: string): unknown {
  return isRecord(body) ? body[name] : undefined;
}

function isReactionContent(value: unknown): value is ReactionContentName {
  return typeof value === "string" && (REACTION_CONTENTS as readonly string[]).includes(value);
}

/** A JWT's claims when the value is shaped like one (three base64url parts, RS256 header); signatures are not checked. */
function jwtClaims(value: string): { iss: unknown; iat: number; exp: number } | undefined {
  const parts = value.split(".");
  if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0] ?? "", "base64url").toString("utf8"));
    const claims: unknown = JSON.parse(Buffer.from(parts[1] ?? "", "base64url").toString("utf8"));
    if (!isRecord(header) || header.alg !== "RS256" || !isRecord(claims)) return undefined;
    if (typeof claims.iat !== "number" || typeof claims.exp !== "number") return undefined;
    return { iss: claims.iss, iat: claims.iat, exp: claims.exp };
  } catch {
    return undefined;
  }
}

type Credentials =
  | { kind: "none" }
  | { kind: "jwt"; value: string }
  | { kind: "token"; value: string }
  | { kind: "basic"; user: string; password: string }
  | { kind: "invalid" };

function credentialsOf(headers: IncomingHttpHeaders): Credentials {
  const header = headers.authorization;
  if (!header) return { kind: "none" };
  const match = /^(\w+)\s+(\S+)\s*$/.exec(header);
  if (!match) return { kind: "invalid" };
  const scheme = (match[1] ?? "").toLowerCase();
  const value = match[2] ?? "";
  if (scheme === "basic") {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon === -1 ? { kind: "invalid" } : { kind: "basic", user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (scheme !== "bearer" && scheme !== "token") return { kind: "invalid" };
  if (jwtClaims(value)) return { kind: "jwt", value };
  return { kind: "token", value };
}

/**
 * A git handler that forwards to another git smart HTTP server (such as
 * test/helpers/git-http-server.ts) with that server's own credential: the
 * fake has already checked the caller's installation token, so the bridge
 * only needs to know the request came through the fake.
 */
export function proxyGitTo(target: { url: string; token: string }): GitHandler {
  const authorization = `Basic ${Buffer.from(`x-access-token:${target.token}`).toString("base64")}`;
  return (req, res) =>
    new Promise<void>((resolve) => {
      const url = new URL(req.url ?? "/", target.url);
      const upstream = httpRequest(url, { method: req.method, headers: { ...req.headers, host: url.host, authorization } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on("error", (error) => {
        if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
        res.end(`git bridge unreachable: ${error.message}\n`);
      });
      // A client that gives up mid-transfer must not leave the bridge streaming into nothing.
      res.on("close", () => {
        upstream.destroy();
        resolve();
      });
      req.pipe(upstream);
    });
}

export async function startFakeGitHub(options: StartFakeGitHubOptions = {}): Promise<FakeGitHub> {
  if (options.git && options.gitHandler) throw new Error("give startFakeGitHub either git or gitHandler, not both");
  let gitServer: GitHttpServer | undefined;
  let gitHandler = options.gitHandler;
  if (options.git) {
    // The bridge's own credential never leaves this process; callers use installation tokens.
    const bridgeToken = randomBytes(24).toString("hex");
    gitServer = await startGitHttpServer({ root: options.git.root, token: bridgeToken, ...(options.git.hold ? { hold: options.git.hold } : {}) });
    gitHandler = proxyGitTo({ url: gitServer.url, token: bridgeToken });
  }
  const gitRoot = options.git?.root;
  const failures: Array<Required<Omit<Failure, "body">> & { body: unknown }> = [];
  // The server must listen before the state can know its URLs; until then requests get 503.
  let state: FakeGitHubState | undefined;

  const server = createServer((req, res) => {
    if (!state) {
      res.writeHead(503).end();
      return;
    }
    handle(state, req, res).catch((error: unknown) => {
      // A bug in the fake must show up as a failing request, not a hung one.
      const message = error instanceof Error ? error.stack ?? error.message : String(error);
      if (!res.headersSent) res.writeHead(500, { "content-type": JSON_TYPE });
      res.end(JSON.stringify({ message: `fake GitHub crashed: ${message}` }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, options.listen?.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = `${options.listen?.advertisedHost ?? "127.0.0.1"}:${port}`;
  const url = `http://${host}`;
  const apiUrl = `${url}${API_PREFIX}`;
  const fakeState = new FakeGitHubState({
    urls: { web: url, api: apiUrl },
    appId: options.appId ?? 123,
    appSlug: options.appSlug ?? "planwright",
    installationId: options.installationId ?? 77,
    installationAccount: options.installationAccount ?? "acme",
    tokenTtlMs: options.tokenTtlMs ?? 60 * 60 * 1000,
  });
  state = fakeState;
  const shapes = new GitHubShapes(fakeState);
  const routes = buildRoutes(fakeState, shapes);

  async function handle(st: FakeGitHubState, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestUrl = new URL(req.url ?? "/", url);
    const method = (req.method ?? "GET").toUpperCase();
    const credentials = credentialsOf(req.headers);
    const record: RecordedRequest = {
      at: Date.now(),
      method,
      path: requestUrl.pathname,
      query: Object.fromEntries(requestUrl.searchParams),
      body: undefined,
      auth: credentials.kind satisfies AuthKind,
      token: credentials.kind === "token" ? credentials.value : credentials.kind === "basic" ? credentials.password : undefined,
      route: undefined,
      status: 0,
      git: false,
    };
    st.requests.push(record);

    const gitPath = /^\/([^/]+)\/([^/]+?)\.git(\/.*)?$/.exec(requestUrl.pathname);
    if (gitPath && !requestUrl.pathname.startsWith(`${API_PREFIX}/`)) {
      record.git = true;
      await serveGit(st, req, res, requestUrl, credentials, record, decodeURIComponent(gitPath[1] ?? ""), decodeURIComponent(gitPath[2] ?? ""));
      return;
    }

    if (requestUrl.pathname === GRAPHQL_PATH) {
      await serveGraphql(st, req, res, method, credentials, record);
      return;
    }

    if (requestUrl.pathname !== API_PREFIX && !requestUrl.pathname.startsWith(`${API_PREFIX}/`)) {
      send(res, record, notFound());
      return;
    }
    const apiPath = requestUrl.pathname.slice(API_PREFIX.length) || "/";
    record.path = apiPath;
    const raw = await readBody(req);
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        send(res, record, githubError(400, "Problems parsing JSON"));
        return;
      }
    }
    record.body = body;

    const segments = apiPath.split("/").slice(1);
    const matched = matchRoute(routes, method, segments);
    if (!matched) {
      send(res, record, notFound());
      return;
    }
    const { route, params } = matched;
    record.route = `${route.method} ${route.template}`;
    const ctx: Context = { method, url: requestUrl, params, query: requestUrl.searchParams, body, headers: req.headers, token: undefined };

    const denied = authorize(st, route, credentials, ctx);
    if (denied) {
      send(res, record, denied);
      return;
    }
    const failure = failures.find((f) => f.route === record.route && f.times > 0);
    if (failure) {
      failure.times -= 1;
      send(res, record, json(failure.status, failure.body));
      return;
    }
    send(res, record, await route.handle(ctx));
  }

  async function serveGraphql(
    st: FakeGitHubState,
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    credentials: Credentials,
    record: RecordedRequest,
  ): Promise<void> {
    const raw = await readBody(req);
    if (method !== "POST") {
      send(res, record, notFound());
      return;
    }
    let body: unknown;
    try {
      body = raw.length > 0 ? JSON.parse(raw.toString("utf8")) : undefined;
    } catch {
      send(res, record, githubError(400, "Problems parsing JSON"));
      return;
    }
    record.body = body;
    const recognized = recognizeGraphql(st, shapes, body);
    record.route = recognized.route;
    // GraphQL has no app-level (JWT) operations planwright uses: only installation tokens get through.
    if (credentials.kind === "none") {
      send(res, record, {
        status: 401,
        json: { message: "This endpoint requires you to be authenticated.", documentation_url: "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql" },
      });
      return;
    }
    const token = credentials.kind === "token" ? st.findToken(credentials.value) : undefined;
    if (!token || !st.isLive(token)) {
      send(res, record, badCredentials());
      return;
    }
    token.uses += 1;
    const failure = failures.find((f) => f.route === record.route && f.times > 0);
    if (failure) {
      failure.times -= 1;
      send(res, record, json(failure.status, failure.body));
      return;
    }
    send(res, record, recognized.answer(token));
  }

  function authorize(st: FakeGitHubState, route: Route, credentials: Credentials, ctx: Context): Reply | undefined {
    if (route.auth === "jwt") {
      if (credentials.kind === "none") return githubError(401, "A JSON web token could not be decoded");
      if (credentials.kind !== "jwt") return githubError(401, "A JSON web token could not be decoded");
      const claims = jwtClaims(credentials.value);
      if (!claims) return githubError(401, "A JSON web token could not be decoded");
      const now = Math.floor(Date.now() / 1000);
      if (claims.exp <= now) {
        return githubError(401, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires");
      }
      // GitHub refuses app JWTs that live longer than ten minutes.
      if (claims.exp - now > 600) return githubError(401, "'Expiration time' claim ('exp') is too far in the future");
      if (String(claims.iss) !== String(st.app.id) && claims.iss !== st.app.clientId) return githubError(404, "Integration not found");
      return undefined;
    }
    if (credentials.kind === "none") return githubError(401, "Requires authentication");
    if (credentials.kind !== "token") return badCredentials();
    const token = st.findToken(credentials.value);
    if (!token || !st.isLive(token)) return badCredentials();
    ctx.token = token;
    token.uses += 1;
    return undefined;
  }

  async function serveGit(
    st: FakeGitHubState,
    req: IncomingMessage,
    res: ServerResponse,
    requestUrl: URL,
    credentials: Credentials,
    record: RecordedRequest,
    owner: string,
    name: string,
  ): Promise<void> {
    const push = requestUrl.searchParams.get("service") === "git-receive-pack" || requestUrl.pathname.endsWith("/git-receive-pack");
    record.route = push ? "GIT push" : "GIT fetch";
    const repository = st.repository(owner, name);
    const challenge = { status: 401, text: "Authentication failed\n", contentType: "text/plain", headers: { "www-authenticate": 'Basic realm="GitHub"' } };
    const secret = credentials.kind === "basic" ? credentials.password : credentials.kind === "token" ? credentials.value : undefined;
    if (secret === undefined) {
      // Anyone may clone a public repository; everything else needs a token.
      if (credentials.kind !== "none" || push || !repository || repository.private) {
        send(res, record, credentials.kind === "none" ? challenge : githubError(401, "Bad credentials"));
        return;
      }
    } else {
      const token = st.findToken(secret);
      if (!token || !st.isLive(token)) {
        send(res, record, challenge);
        return;
      }
      record.token = secret;
      if (!repository || !st.tokenCovers(token, repository)) {
        send(res, record, { status: 404, text: "Repository not found.\n", contentType: "text/plain" });
        return;
      }
      token.uses += 1;
    }
    if (!repository) {
      send(res, record, { status: 404, text: "Repository not found.\n", contentType: "text/plain" });
      return;
    }
    if (!gitHandler) {
      record.route = undefined;
      send(res, record, { status: 501, text: "this fake GitHub was started without a gitHandler\n", contentType: "text/plain" });
      return;
    }
    res.on("finish", () => {
      record.status = res.statusCode;
    });
    // GitHub matches owner and name case-insensitively; a file system does not.
    req.url = `/${repository.owner}/${repository.name}.git${requestUrl.pathname.replace(/^\/[^/]+\/[^/]+?\.git/, "")}${requestUrl.search}`;
    await gitHandler(req, res);
  }

  return {
    url,
    apiUrl,
    host,
    state: fakeState,
    app: fakeState.app,
    botLogin: fakeState.app.botLogin,
    installationId: fakeState.installationId,
    repos: {
      add: (o) =>
        fakeState.addRepository(
          gitRoot && o.bareRepoPath === undefined && o.files === undefined ? { ...o, bareRepoPath: path.join(gitRoot, o.owner, `${o.name}.git`) } : o,
        ),
      get: (owner, name) => fakeState.repository(owner, name),
    },
    setPermission: (owner, repo, login, role) => fakeState.setPermission(fakeState.requireRepository(owner, repo), login, role),
    addIssue: (o) => fakeState.addIssue(o),
    addComment: (o) => fakeState.addComment(o),
    addPullRequest: (o) => fakeState.addPullRequest(o),
    addReview: (o) => fakeState.addReview(o),
    commentsOn: (owner, repo, n) => fakeState.commentsOn(owner, repo, n),
    requests: fakeState.requests,
    unhandledRequests: () => fakeState.requests.filter((r) => r.route === undefined),
    requestsTo: (route) => fakeState.requests.filter((r) => r.route === route),
    expireTokens(tokens) {
      const wanted = tokens === undefined ? undefined : new Set(Array.isArray(tokens) ? tokens : [tokens]);
      const now = Date.now();
      let expired = 0;
      for (const token of fakeState.tokens) {
        if (wanted && !wanted.has(token.token)) continue;
        if (fakeState.isLive(token)) expired += 1;
        token.expiresAt = Math.min(token.expiresAt, now);
      }
      return expired;
    },
    revokeToken(token) {
      const found = fakeState.findToken(token);
      if (found) found.revoked = true;
    },
    liveTokens: () => fakeState.tokens.filter((t) => fakeState.isLive(t)),
    failNext(failure) {
      failures.push({
        route: failure.route,
        status: failure.status,
        times: failure.times ?? 1,
        body: failure.body ?? { message: failure.status >= 500 ? "Server Error" : "Failure injected by the test", documentation_url: DOCS },
      });
    },
    setGitHandler(handler) {
      gitHandler = handler;
    },
    gitServer,
    async close() {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive connections from octokit's fetch would hold close() open.
        server.closeAllConnections();
      });
      await gitServer?.close();
    },
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, record: RecordedRequest, reply: Reply): void {
  record.status = reply.status;
  const headers: Record<string, string> = {
    "x-github-request-id": randomUUID().toUpperCase(),
    "x-github-enterprise-version": "3.17.0",
    "x-github-media-type": "github.v3; format=json",
    ...reply.headers,
  };
  if (reply.json !== undefined) {
    headers["content-type"] = JSON_TYPE;
    res.writeHead(reply.status, headers).end(JSON.stringify(reply.json));
  } else if (reply.text !== undefined) {
    headers["content-type"] = reply.contentType ?? "text/plain; charset=utf-8";
    res.writeHead(reply.status, headers).end(reply.text);
  } else {
    res.writeHead(reply.status, headers).end();
  }
}

function matchRoute(routes: Route[], method: string, segments: string[]): { route: Route; params: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const params = matchSegments(route.segments, segments);
    if (params) return { route, params };
  }
  return undefined;
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i] ?? "";
    const rest = /^\{(\w+)\*\}$/.exec(part);
    if (rest) {
      // Octokit encodes `/` inside {path} as %2F; decoding each segment and rejoining accepts both spellings.
      params[rest[1] ?? ""] = actual.slice(i).map(safeDecode).join("/");
      return params;
    }
    const value = actual[i];
    if (value === undefined) return undefined;
    const param = /^\{(\w+)\}$/.exec(part);
    if (param) {
      if (value === "") return undefined;
      params[param[1] ?? ""] = safeDecode(value);
    } else if (part !== value) {
      return undefined;
    }
  }
  return pattern.length === actual.length ? params : undefined;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** `per_page`/`page` like GitHub (30 by default, at most 100), with a `Link` header so `octokit.paginate` walks every page. */
function paginate<T>(ctx: Context, items: T[]): Reply {
  const perPage = Math.min(positiveInt(ctx.query.get("per_page") ?? undefined) ?? 30, 100);
  const page = positiveInt(ctx.query.get("page") ?? undefined) ?? 1;
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const link = (n: number, rel: string): string => {
    const target = new URL(ctx.url.href);
    target.searchParams.set("per_page", String(perPage));
    target.searchParams.set("page", String(n));
    return `<${target.href}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, "prev"), link(1, "first"));
  if (page < last) links.push(link(page + 1, "next"), link(last, "last"));
  return json(200, slice, links.length ? { link: links.join(", ") } : undefined);
}

function buildRoutes(state: FakeGitHubState, shapes: GitHubShapes): Route[] {
  const routes: Route[] = [];
  const add = (method: string, template: string, auth: RouteAuth, handle: Route["handle"]) => {
    routes.push({ method, template, segments: template.split("/").slice(1), auth, handle });
  };
  /** A route under `/repos/{owner}/{repo}`: 404 unless the repository exists and the token's installation covers it. */
  const repoRoute = (method: string, template: string, handle: (ctx: RepoContext) => Promise<Reply> | Reply) => {
    add(method, `/repos/{owner}/{repo}${template}`, "installation", (ctx) => {
      const repo = state.repository(ctx.params.owner ?? "", ctx.params.repo ?? "");
      if (!repo || !ctx.token || !state.tokenCovers(ctx.token, repo)) return notFound();
      return handle({ ...ctx, repo, actor: state.app.botLogin });
    });
  };
  const issueOf = (ctx: RepoContext) => {
    const number = positiveInt(ctx.params.issue_number);
    return number === undefined ? undefined : state.issueOrPull(ctx.repo, number);
  };
  const pullOf = (ctx: RepoContext) => {
    const number = positiveInt(ctx.params.pull_number);
    return number === undefined ? undefined : state.pullRequest(ctx.repo, number);
  };
  const commentOf = (ctx: RepoContext) => {
    const id = positiveInt(ctx.params.comment_id);
    return state.comments.find((c) => c.repo === ctx.repo.fullName && c.id === id);
  };
  const reviewCommentOf = (ctx: RepoContext) => {
    const id = positiveInt(ctx.params.comment_id);
    return state.reviewComments.find((c) => c.repo === ctx.repo.fullName && c.id === id);
  };
  /** Head and base follow their branches while a pull request is open, as on GitHub. */
  const refresh = async (repo: FakeRepository, pull: FakePullRequest): Promise<FakePullRequest> => {
    if (pull.state !== "open") return pull;
    pull.headSha = (await state.branchSha(repo, pull.head)) ?? pull.headSha;
    pull.baseSha = (await state.branchSha(repo, pull.base)) ?? pull.baseSha;
    return pull;
  };
  const react = (ctx: RepoContext, subject: ReactionSubject): Reply => {
    const content = bodyField(ctx.body, "content");
    if (!isReactionContent(content)) {
      return invalidRequest(`${JSON.stringify(content ?? null)} is not a member of ${JSON.stringify(REACTION_CONTENTS)}.`);
    }
    const { reaction, created } = state.react(ctx.repo, subject, content, ctx.actor);
    return json(created ? 201 : 200, shapes.reaction(reaction));
  };

  // ---- the app (JWT) -----------------------------------------------------------

  add("GET", "/app", "jwt", () => json(200, shapes.integration()));
  add("GET", "/app/installations", "jwt", (ctx) => paginate(ctx, [...state.installations.values()].map((i) => shapes.installation(i))));
  add("GET", "/app/installations/{installation_id}", "jwt", (ctx) => {
    const installation = state.installations.get(positiveInt(ctx.params.installation_id) ?? -1);
    return installation ? json(200, shapes.installation(installation)) : notFound();
  });
  add("POST", "/app/installations/{installation_id}/access_tokens", "jwt", (ctx) => {
    const installationId = positiveInt(ctx.params.installation_id) ?? -1;
    const installation = state.installations.get(installationId);
    if (!installation) return notFound();
    const names = bodyField(ctx.body, "repositories");
    const ids = bodyField(ctx.body, "repository_ids");
    let repositories: string[] | undefined;
    if (names !== undefined || ids !== undefined) {
      const wanted = [
        ...(Array.isArray(names) ? names : []).map((n) => state.repository(installation.account, String(n)) ?? [...state.repositories.values()].find((r) => r.name === n)),
        ...(Array.isArray(ids) ? ids : []).map((id) => [...state.repositories.values()].find((r) => r.id === id)),
      ];
      if (wanted.some((r) => !r || r.installationId !== installationId)) {
        return githubError(422, "There is at least one repository that does not exist or is not accessible to the parent installation.");
      }
      repositories = wanted.flatMap((r) => (r ? [r.fullName.toLowerCase()] : []));
    }
    const requested = bodyField(ctx.body, "permissions");
    const permissions: Record<string, "read" | "write"> = { ...installation.permissions };
    if (isRecord(requested)) {
      for (const [name, level] of Object.entries(requested)) {
        const granted = installation.permissions[name];
        if (!granted || (level === "write" && granted !== "write") || (level !== "read" && level !== "write")) {
          return githubError(422, "The permissions requested are not granted to this installation.");
        }
      }
      for (const key of Object.keys(permissions)) if (!(key in requested)) delete permissions[key];
      Object.assign(permissions, requested);
    }
    const token = state.issueToken(installationId, repositories, permissions);
    return json(201, shapes.installationToken(token));
  });
  add("GET", "/repos/{owner}/{repo}/installation", "jwt", (ctx) => {
    const repo = state.repository(ctx.params.owner ?? "", ctx.params.repo ?? "");
    const installation = repo ? state.installations.get(repo.installationId) : undefined;
    return installation ? json(200, shapes.installation(installation)) : notFound();
  });

  // ---- the installation ------------------------------------------------------

  add("DELETE", "/installation/token", "installation", (ctx) => {
    if (ctx.token) ctx.token.revoked = true;
    return { status: 204 };
  });
  add("GET", "/installation/repositories", "installation", (ctx) => {
    const token = ctx.token;
    const visible = [...state.repositories.values()].filter((r) => token !== undefined && state.tokenCovers(token, r));
    const page = paginate(ctx, visible.map((r) => shapes.repository(r)));
    return { ...page, json: { total_count: visible.length, repository_selection: token?.repositories ? "selected" : "all", repositories: page.json } };
  });

  // ---- users ------------------------------------------------------------------

  // planwright looks its bot up once to get the id for the commit author's noreply address.
  add("GET", "/users/{username}", "installation", (ctx) => {
    const login = ctx.params.username ?? "";
    const known = state.accounts.has(login.toLowerCase());
    return known ? json(200, shapes.user(login)) : notFound();
  });

  // ---- repositories and contents -------------------------------------------

  repoRoute("GET", "", (ctx) => json(200, shapes.fullRepository(ctx.repo)));

  const contents = async (ctx: RepoContext): Promise<Reply> => {
    const path = ctx.params.path ?? "";
    const refParam = ctx.query.get("ref") ?? undefined;
    const ref = refParam === undefined || refParam === "" ? undefined : refParam;
    const found = await state.lookupPath(ctx.repo, path, ref);
    const shownRef = ref ?? ctx.repo.defaultBranch;
    const accept = String(ctx.headers.accept ?? "");
    const raw = /application\/vnd\.github(\.v3)?\.raw/.test(accept);
    switch (found.kind) {
      case "no-ref":
        return githubError(404, `No commit found for the ref ${shownRef}`);
      case "missing":
        return notFound();
      case "dir":
        // Even in raw mode a directory comes back as a JSON listing; Probot's config loader relies on that content type.
        return json(200, found.entries.map((e) => shapes.contentEntry(ctx.repo, shownRef, e)));
      case "file":
        if (raw) return { status: 200, text: found.content, contentType: "text/plain; charset=utf-8" };
        return json(200, shapes.contentFile(ctx.repo, shownRef, found.entry, found.content));
      case "symlink":
        if (raw) return { status: 200, text: found.target, contentType: "text/plain; charset=utf-8" };
        return json(200, { ...shapes.contentEntry(ctx.repo, shownRef, found.entry), type: "symlink", target: found.target });
      case "submodule":
        return json(200, { ...shapes.contentEntry(ctx.repo, shownRef, found.entry), type: "submodule", submodule_git_url: "" });
    }
  };
  repoRoute("GET", "/contents", contents);
  repoRoute("GET", "/contents/{path*}", contents);

  repoRoute("GET", "/collaborators/{username}/permission", (ctx) => {
    const account = state.findAccount(ctx.params.username ?? "");
    // GitHub answers 404 for a login that is no account at all.
    if (!account) return notFound();
    return json(200, shapes.collaboratorPermission(account, state.roleOf(ctx.repo, account.login)));
  });

  // ---- issues and comments ----------------------------------------------------

  repoRoute("GET", "/issues/comments/{comment_id}", (ctx) => {
    const comment = commentOf(ctx);
    return comment ? json(200, shapes.comment(ctx.repo, comment)) : notFound();
  });
  repoRoute("PATCH", "/issues/comments/{comment_id}", (ctx) => {
    const comment = commentOf(ctx);
    if (!comment) return notFound();
    const body = bodyField(ctx.body, "body");
    if (typeof body !== "string") return invalidRequest(`"body" wasn't supplied.`);
    if (body !== comment.body) {
      comment.body = body;
      comment.edits += 1;
    }
    comment.updatedAt = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    return json(200, shapes.comment(ctx.repo, comment));
  });
  repoRoute("POST", "/issues/comments/{comment_id}/reactions", (ctx) => {
    const comment = commentOf(ctx);
    return comment ? react(ctx, { type: "issue_comment", id: comment.id }) : notFound();
  });
  repoRoute("GET", "/issues/{issue_number}", (ctx) => {
    const issue = issueOf(ctx);
    return issue ? json(200, shapes.issue(ctx.repo, issue)) : notFound();
  });
  repoRoute("GET", "/issues/{issue_number}/comments", (ctx) => {
    const issue = issueOf(ctx);
    if (!issue) return notFound();
    const since = ctx.query.get("since");
    const comments = state.comments
      .filter((c) => c.repo === ctx.repo.fullName && c.issueNumber === issue.number)
      .filter((c) => !since || c.updatedAt >= since);
    return paginate(ctx, comments.map((c) => shapes.comment(ctx.repo, c)));
  });
  repoRoute("POST", "/issues/{issue_number}/comments", (ctx) => {
    const issue = issueOf(ctx);
    if (!issue) return notFound();
    const body = bodyField(ctx.body, "body");
    if (typeof body !== "string") return invalidRequest(`"body" wasn't supplied.`);
    // GitHub caps comment bodies at 65536 characters.
    if (body.length > 65536) return validationFailed([{ resource: "IssueComment", code: "unprocessable", field: "data", message: "Body is too long (maximum is 65536 characters)" }]);
    const comment = state.createComment(ctx.repo, issue, body, ctx.actor);
    const data = shapes.comment(ctx.repo, comment);
    return json(201, data, { location: data.url });
  });
  repoRoute("POST", "/issues/{issue_number}/reactions", (ctx) => {
    const issue = issueOf(ctx);
    return issue ? react(ctx, { type: "issue", number: issue.number }) : notFound();
  });

  const labelNames = (body: unknown): string[] | undefined => {
    const list = Array.isArray(body) ? body : bodyField(body, "labels");
    if (!Array.isArray(list)) return undefined;
    const names = list.map((l) => (typeof l === "string" ? l : bodyField(l, "name")));
    return names.every((n): n is string => typeof n === "string" && n.trim() !== "") ? names : undefined;
  };
  repoRoute("GET", "/issues/{issue_number}/labels", (ctx) => {
    const issue = issueOf(ctx);
    return issue ? paginate(ctx, shapes.labelsOf(ctx.repo, issue)) : notFound();
  });
  repoRoute("POST", "/issues/{issue_number}/labels", (ctx) => {
    const issue = issueOf(ctx);
    if (!issue) return notFound();
    const names = labelNames(ctx.body);
    if (!names || names.length === 0) return invalidRequest(`No subschema in "anyOf" matched.`);
    for (const name of names) state.addLabel(ctx.repo, issue, name);
    return json(200, shapes.labelsOf(ctx.repo, issue));
  });
  repoRoute("PUT", "/issues/{issue_number}/labels", (ctx) => {
    const issue = issueOf(ctx);
    if (!issue) return notFound();
    const names = labelNames(ctx.body);
    if (!names) return invalidRequest(`No subschema in "anyOf" matched.`);
    issue.labels = [];
    for (const name of names) state.addLabel(ctx.repo, issue, name);
    return json(200, shapes.labelsOf(ctx.repo, issue));
  });
  repoRoute("DELETE", "/issues/{issue_number}/labels", (ctx) => {
    const issue = issueOf(ctx);
    if (!issue) return notFound();
    issue.labels = [];
    return { status: 204 };
  });
  repoRoute("DELETE", "/issues/{issue_number}/labels/{name}", (ctx) => {
    const issue = issueOf(ctx);
    if (!issue) return notFound();
    const name = (ctx.params.name ?? "").toLowerCase();
    const index = issue.labels.findIndex((l) => l.toLowerCase() === name);
    if (index === -1) return githubError(404, "Label does not exist");
    issue.labels.splice(index, 1);
    return json(200, shapes.labelsOf(ctx.repo, issue));
  });

  // ---- pull requests ---------------------------------------------------------------

  repoRoute("GET", "/pulls", async (ctx) => {
    const wantedState = ctx.query.get("state") ?? "open";
    const head = ctx.query.get("head");
    const base = ctx.query.get("base");
    // GitHub only understands `owner:branch` for head; a bare branch name filters nothing.
    const headFilter = head?.includes(":") ? head : undefined;
    const pulls = state.pullRequests
      .filter((p) => p.repo === ctx.repo.fullName)
      .filter((p) => wantedState === "all" || p.state === wantedState)
      .filter((p) => !headFilter || `${ctx.repo.owner}:${p.head}`.toLowerCase() === headFilter.toLowerCase())
      .filter((p) => !base || p.base === base);
    const direction = ctx.query.get("direction") === "asc" ? 1 : -1;
    pulls.sort((a, b) => direction * (a.number - b.number));
    for (const pull of pulls) await refresh(ctx.repo, pull);
    return paginate(ctx, pulls.map((p) => shapes.pullRequestSimple(ctx.repo, p)));
  });
  repoRoute("POST", "/pulls", async (ctx) => {
    const title = bodyField(ctx.body, "title");
    const headParam = bodyField(ctx.body, "head");
    const base = bodyField(ctx.body, "base");
    const missing = (
      [
        ["title", title],
        ["head", headParam],
        ["base", base],
      ] as const
    ).filter(([, value]) => typeof value !== "string" || value === "");
    if (missing.length > 0) {
      return validationFailed(missing.map(([field]) => ({ resource: "PullRequest", field, code: "missing_field" })));
    }
    const headText = String(headParam);
    const baseText = String(base);
    const colon = headText.indexOf(":");
    const headOwner = colon === -1 ? ctx.repo.owner : headText.slice(0, colon);
    const head = colon === -1 ? headText : headText.slice(colon + 1);
    // Pull requests from forks are out of this fake's reach; GitHub says the same about an unknown head.
    if (headOwner.toLowerCase() !== ctx.repo.owner.toLowerCase()) {
      return validationFailed([{ resource: "PullRequest", field: "head", code: "invalid" }]);
    }
    const headSha = await state.branchSha(ctx.repo, head);
    if (!headSha) return validationFailed([{ resource: "PullRequest", field: "head", code: "invalid" }]);
    const baseSha = await state.branchSha(ctx.repo, baseText);
    if (!baseSha) return validationFailed([{ resource: "PullRequest", field: "base", code: "invalid" }]);
    const duplicate = state.pullRequests.find((p) => p.repo === ctx.repo.fullName && p.state === "open" && p.head === head && p.base === baseText);
    if (duplicate) {
      return validationFailed([{ resource: "PullRequest", code: "custom", message: `A pull request already exists for ${ctx.repo.owner}:${head}.` }]);
    }
    if (!(await state.hasCommitsBeyond(ctx.repo, baseText, head))) {
      return validationFailed([{ resource: "PullRequest", code: "custom", message: `No commits between ${baseText} and ${head}` }]);
    }
    const body = bodyField(ctx.body, "body");
    const pull = state.createPullRequest(ctx.repo, {
      title: String(title),
      body: typeof body === "string" ? body : null,
      head,
      headSha,
      base: baseText,
      baseSha,
      draft: bodyField(ctx.body, "draft") === true,
      user: ctx.actor,
      maintainerCanModify: bodyField(ctx.body, "maintainer_can_modify") === true,
      state: "open",
    });
    const data = shapes.pullRequest(ctx.repo, pull, await state.compare(ctx.repo, pull.base, pull.head));
    return json(201, data, { location: data.url });
  });
  repoRoute("GET", "/pulls/comments/{comment_id}", (ctx) => {
    const comment = reviewCommentOf(ctx);
    return comment ? json(200, shapes.reviewComment(ctx.repo, comment)) : notFound();
  });
  repoRoute("POST", "/pulls/comments/{comment_id}/reactions", (ctx) => {
    const comment = reviewCommentOf(ctx);
    return comment ? react(ctx, { type: "review_comment", id: comment.id }) : notFound();
  });
  repoRoute("GET", "/pulls/{pull_number}", async (ctx) => {
    const pull = pullOf(ctx);
    if (!pull) return notFound();
    await refresh(ctx.repo, pull);
    return json(200, shapes.pullRequest(ctx.repo, pull, await state.compare(ctx.repo, pull.base, pull.head)));
  });
  repoRoute("PATCH", "/pulls/{pull_number}", async (ctx) => {
    const pull = pullOf(ctx);
    if (!pull) return notFound();
    const title = bodyField(ctx.body, "title");
    const body = bodyField(ctx.body, "body");
    const wantedState = bodyField(ctx.body, "state");
    const base = bodyField(ctx.body, "base");
    if (wantedState !== undefined && wantedState !== "open" && wantedState !== "closed") {
      return validationFailed([{ resource: "PullRequest", field: "state", code: "invalid" }]);
    }
    if (typeof base === "string" && !(await state.branchSha(ctx.repo, base))) {
      return validationFailed([{ resource: "PullRequest", field: "base", code: "invalid" }]);
    }
    if (wantedState === "open" && pull.state === "closed") {
      const other = state.pullRequests.find((p) => p !== pull && p.repo === pull.repo && p.state === "open" && p.head === pull.head && p.base === pull.base);
      if (other) {
        return validationFailed([{ resource: "PullRequest", code: "custom", message: `A pull request already exists for ${ctx.repo.owner}:${pull.head}.` }]);
      }
    }
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    if (typeof title === "string") pull.title = title;
    if (typeof body === "string" || body === null) pull.body = body;
    if (typeof base === "string") pull.base = base;
    if (bodyField(ctx.body, "maintainer_can_modify") !== undefined) pull.maintainerCanModify = bodyField(ctx.body, "maintainer_can_modify") === true;
    // `draft` is not part of this endpoint on GitHub (only GraphQL changes it), so it is ignored here too.
    if (wantedState === "closed" && pull.state === "open") {
      pull.state = "closed";
      pull.closedAt = now;
    } else if (wantedState === "open" && pull.state === "closed") {
      pull.state = "open";
      pull.closedAt = null;
    }
    pull.updatedAt = now;
    await refresh(ctx.repo, pull);
    return json(200, shapes.pullRequest(ctx.repo, pull, await state.compare(ctx.repo, pull.base, pull.head)));
  });
  repoRoute("GET", "/pulls/{pull_number}/comments", (ctx) => {
    const pull = pullOf(ctx);
    if (!pull) return notFound();
    const comments = state.reviewComments.filter((c) => c.repo === ctx.repo.fullName && c.pullNumber === pull.number);
    return paginate(ctx, comments.map((c) => shapes.reviewComment(ctx.repo, c)));
  });
  repoRoute("POST", "/pulls/{pull_number}/comments/{comment_id}/replies", async (ctx) => {
    const pull = pullOf(ctx);
    const target = reviewCommentOf(ctx);
    if (!pull || !target || target.pullNumber !== pull.number) return notFound();
    const body = bodyField(ctx.body, "body");
    if (typeof body !== "string") return invalidRequest(`"body" wasn't supplied.`);
    // A reply joins the thread's first comment, and GitHub files it under a new one-comment review.
    const { review } = await state.addReview({ owner: ctx.repo.owner, repo: ctx.repo.name, pullNumber: pull.number, user: ctx.actor, state: "COMMENTED" });
    const reply = state.createReviewComment(ctx.repo, pull, {
      reviewId: review.id,
      body,
      path: target.path,
      line: target.line,
      side: target.side,
      commitId: target.commitId,
      inReplyToId: target.inReplyToId ?? target.id,
      user: ctx.actor,
    });
    const data = shapes.reviewComment(ctx.repo, reply);
    return json(201, data, { location: data.url });
  });
  repoRoute("GET", "/pulls/{pull_number}/reviews", (ctx) => {
    const pull = pullOf(ctx);
    if (!pull) return notFound();
    const reviews = state.reviews.filter((r) => r.repo === ctx.repo.fullName && r.pullNumber === pull.number);
    return paginate(ctx, reviews.map((r) => shapes.review(ctx.repo, r)));
  });
  const reviewOf = (ctx: RepoContext, pull: FakePullRequest) => {
    const id = positiveInt(ctx.params.review_id);
    return state.reviews.find((r) => r.repo === ctx.repo.fullName && r.pullNumber === pull.number && r.id === id);
  };
  repoRoute("GET", "/pulls/{pull_number}/reviews/{review_id}", (ctx) => {
    const pull = pullOf(ctx);
    const review = pull && reviewOf(ctx, pull);
    return review ? json(200, shapes.review(ctx.repo, review)) : notFound();
  });
  repoRoute("GET", "/pulls/{pull_number}/reviews/{review_id}/comments", (ctx) => {
    const pull = pullOf(ctx);
    const review = pull && reviewOf(ctx, pull);
    if (!review) return notFound();
    const comments = state.reviewComments.filter((c) => c.repo === ctx.repo.fullName && c.reviewId === review.id);
    return paginate(ctx, comments.map((c) => shapes.reviewComment(ctx.repo, c)));
  });
  repoRoute("POST", "/pulls/{pull_number}/requested_reviewers", async (ctx) => {
    const pull = pullOf(ctx);
    if (!pull) return notFound();
    const reviewers = bodyField(ctx.body, "reviewers") ?? [];
    const teams = bodyField(ctx.body, "team_reviewers") ?? [];
    if (!Array.isArray(reviewers) || !reviewers.every((r): r is string => typeof r === "string") || !Array.isArray(teams)) {
      return invalidRequest(`"reviewers" wasn't supplied.`);
    }
    if (teams.length > 0) {
      return validationFailed([{ resource: "PullRequest", code: "custom", field: "team_reviewers", message: "this fake GitHub has no teams" }]);
    }
    if (reviewers.some((r) => r.toLowerCase() === pull.user.toLowerCase())) {
      return githubError(422, "Review cannot be requested from pull request author.");
    }
    const outsider = reviewers.some((r) => {
      const collaborator = ctx.repo.collaborators.has(r.toLowerCase());
      const owner = ctx.repo.ownerType === "User" && ctx.repo.owner.toLowerCase() === r.toLowerCase();
      return !collaborator && !owner;
    });
    if (outsider) {
      return githubError(
        422,
        `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${ctx.repo.fullName} repository.`,
      );
    }
    for (const reviewer of reviewers) {
      if (!pull.requestedReviewers.some((r) => r.toLowerCase() === reviewer.toLowerCase())) pull.requestedReviewers.push(state.account(reviewer).login);
    }
    await refresh(ctx.repo, pull);
    return json(201, shapes.pullRequestSimple(ctx.repo, pull));
  });
  repoRoute("GET", "/pulls/{pull_number}/files", async (ctx) => {
    const pull = pullOf(ctx);
    if (!pull) return notFound();
    await refresh(ctx.repo, pull);
    const comparison = await state.compare(ctx.repo, pull.base, pull.head);
    return paginate(ctx, (comparison?.files ?? []).map((f) => shapes.diffEntry(ctx.repo, pull.headSha, f)));
  });

  return routes;
}
