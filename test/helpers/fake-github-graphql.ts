import type { FakeGitHubState, FakePullRequest, FakeToken } from "./fake-github-state.js";
import { isoSeconds } from "./fake-github-state.js";
import type { GitHubShapes } from "./fake-github-shapes.js";

/*
 * The fake GitHub's GraphQL endpoint (`POST /api/graphql` on GitHub
 * Enterprise Server). REST cannot turn an existing pull request into a draft
 * or back, so planwright sends exactly two mutations here; the fake answers
 * those in GitHub's shapes and anything else with a GraphQL error, recorded
 * as unhandled so a test that checks `unhandledRequests()` notices.
 */

/** The mutations this fake answers, and the draft state each one leaves. */
export const DRAFT_MUTATIONS = {
  convertPullRequestToDraft: true,
  markPullRequestReadyForReview: false,
} as const;
export type DraftMutation = keyof typeof DRAFT_MUTATIONS;

/** How a handled GraphQL request is recorded in `RecordedRequest.route`, e.g. `GRAPHQL convertPullRequestToDraft`. */
export function graphqlRoute(mutation: DraftMutation): string {
  return `GRAPHQL ${mutation}`;
}

/** GraphQL answers errors with HTTP 200 and an `errors` array, unlike REST. */
export interface GraphqlReply {
  status: number;
  json: unknown;
}

export interface RecognizedGraphql {
  /** Undefined when the fake cannot answer the request: it then counts as unhandled. */
  route: string | undefined;
  answer: (token: FakeToken) => GraphqlReply;
}

interface Location {
  line: number;
  column: number;
}

interface GraphqlError {
  message: string;
  type?: string;
  path?: string[];
  locations?: Location[];
  extensions?: Record<string, unknown>;
}

interface Selection {
  name: string;
  location: Location;
  children: Selection[] | undefined;
}

interface DraftMutationCall {
  mutation: DraftMutation;
  location: Location;
  /** Where the pull request's id comes from: a declared variable or a string literal. */
  id: { variable: string } | { literal: string };
  selections: Selection[];
}

const PULL_REQUEST_FIELDS = new Set(["id", "number", "isDraft", "state", "url", "title", "updatedAt"]);
const PAYLOAD_FIELDS = new Set(["pullRequest", "clientMutationId"]);

function errorsReply(errors: GraphqlError[], data?: Record<string, unknown>): GraphqlReply {
  return { status: 200, json: data === undefined ? { errors } : { data, errors } };
}

/** Reads the request body; only the two draft mutations get a route. */
export function recognizeGraphql(state: FakeGitHubState, shapes: GitHubShapes, body: unknown): RecognizedGraphql {
  const query = typeof body === "object" && body !== null ? (body as Record<string, unknown>).query : undefined;
  const variables = typeof body === "object" && body !== null ? (body as Record<string, unknown>).variables : undefined;
  if (typeof query !== "string") {
    return { route: undefined, answer: () => errorsReply([{ message: "A query attribute must be specified and must be a string." }]) };
  }
  let call: DraftMutationCall;
  try {
    call = parseDraftMutation(query);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { route: undefined, answer: () => errorsReply([{ message, locations: [{ line: 1, column: 1 }] }]) };
  }
  return { route: graphqlRoute(call.mutation), answer: (token) => runDraftMutation(state, shapes, call, variables, token) };
}

function runDraftMutation(state: FakeGitHubState, shapes: GitHubShapes, call: DraftMutationCall, variables: unknown, token: FakeToken): GraphqlReply {
  const { mutation, location } = call;
  let id: unknown;
  if ("literal" in call.id) {
    id = call.id.literal;
  } else {
    id = typeof variables === "object" && variables !== null ? (variables as Record<string, unknown>)[call.id.variable] : undefined;
    if (typeof id !== "string") {
      return errorsReply([
        {
          message: `Variable $${call.id.variable} of type ID! was provided invalid value`,
          locations: [location],
          extensions: { value: id ?? null, problems: [{ path: [], explanation: id === undefined || id === null ? "Expected value to not be null" : "Could not coerce value to ID" }] },
        },
      ]);
    }
  }
  const pull = state.pullRequests.find((p) => shapes.pullRequestNodeId(p) === id);
  const repository = pull ? state.repository(...(pull.repo.split("/") as [string, string])) : undefined;
  // A node outside the token's repositories is as invisible as one that does not exist.
  if (!pull || !repository || !state.tokenCovers(token, repository)) {
    return errorsReply(
      [{ type: "NOT_FOUND", path: [mutation], locations: [location], message: `Could not resolve to a node with the global id of '${String(id)}'` }],
      { [mutation]: null },
    );
  }
  if (token.permissions.pull_requests !== "write") {
    return errorsReply(
      [{ type: "FORBIDDEN", path: [mutation], extensions: { saml_failure: false }, locations: [location], message: "Resource not accessible by integration" }],
      { [mutation]: null },
    );
  }
  pull.draft = DRAFT_MUTATIONS[mutation];
  pull.updatedAt = isoSeconds(Date.now());
  return { status: 200, json: { data: { [mutation]: payload(shapes, pull, call.selections) } } };
}

function payload(shapes: GitHubShapes, pull: FakePullRequest, selections: Selection[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const selection of selections) {
    if (selection.name === "clientMutationId") out.clientMutationId = null;
    if (selection.name === "pullRequest") out.pullRequest = Object.fromEntries((selection.children ?? []).map((f) => [f.name, pullRequestField(shapes, pull, f.name)]));
  }
  return out;
}

function pullRequestField(shapes: GitHubShapes, pull: FakePullRequest, name: string): unknown {
  switch (name) {
    case "id":
      return shapes.pullRequestNodeId(pull);
    case "number":
      return pull.number;
    case "isDraft":
      return pull.draft;
    case "state":
      return pull.merged ? "MERGED" : pull.state.toUpperCase();
    case "url":
      return pull.htmlUrl;
    case "title":
      return pull.title;
    case "updatedAt":
      return pull.updatedAt;
    default:
      throw new Error(`unknown PullRequest field ${name}`);
  }
}

// ---- a parser for exactly the shape planwright sends ------------------------------------

interface Token {
  kind: "name" | "punct" | "string" | "variable";
  value: string;
  location: Location;
}

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  while (i < query.length) {
    const ch = query[i]!;
    const location = { line, column: i - lineStart + 1 };
    if (ch === "\n") {
      line += 1;
      lineStart = i + 1;
      i += 1;
    } else if (/[\s,]/.test(ch)) {
      i += 1;
    } else if (ch === "#") {
      while (i < query.length && query[i] !== "\n") i += 1;
    } else if (/[{}():!=[\]]/.test(ch)) {
      tokens.push({ kind: "punct", value: ch, location });
      i += 1;
    } else if (ch === '"') {
      const match = /^"(?:[^"\\\n]|\\.)*"/.exec(query.slice(i));
      if (!match) throw new Error(`Parse error on "${query.slice(i, i + 20)}" (STRING) at [${location.line}, ${location.column}]`);
      tokens.push({ kind: "string", value: JSON.parse(match[0]) as string, location });
      i += match[0].length;
    } else if (ch === "$" || /[A-Za-z_]/.test(ch)) {
      const match = /^\$?[A-Za-z_][A-Za-z0-9_]*/.exec(query.slice(i))!;
      tokens.push({ kind: ch === "$" ? "variable" : "name", value: match[0].replace(/^\$/, ""), location });
      i += match[0].length;
    } else {
      throw new Error(`Parse error on "${ch}" at [${location.line}, ${location.column}]`);
    }
  }
  return tokens;
}

/**
 * `mutation [Name] [($id: ID!)] { <draft mutation>(input: { pullRequestId: $id | "…" }) { pullRequest { … } clientMutationId } }`.
 * Throws, with the reason as its message, for anything else.
 */
function parseDraftMutation(query: string): DraftMutationCall {
  const tokens = tokenize(query);
  let at = 0;
  const peek = () => tokens[at];
  const unhandled = (why: string): Error => new Error(`this fake GitHub answers only ${Object.keys(DRAFT_MUTATIONS).join(" and ")}: ${why}`);
  const next = (kind: Token["kind"], value?: string): Token => {
    const token = tokens[at];
    if (!token || token.kind !== kind || (value !== undefined && token.value !== value)) {
      throw unhandled(`expected ${value ?? kind} at ${token ? `[${token.location.line}, ${token.location.column}]` : "the end"}`);
    }
    at += 1;
    return token;
  };

  const operation = next("name");
  if (operation.value !== "mutation") throw unhandled(`a ${operation.value} operation`);
  if (peek()?.kind === "name") at += 1;
  const declared = new Map<string, string>();
  if (peek()?.value === "(") {
    next("punct", "(");
    while (peek()?.value !== ")") {
      const name = next("variable").value;
      next("punct", ":");
      const type = next("name").value + (peek()?.value === "!" ? next("punct", "!").value : "");
      declared.set(name, type);
    }
    next("punct", ")");
  }
  next("punct", "{");
  const field = next("name");
  if (!(field.value in DRAFT_MUTATIONS)) throw unhandled(`the mutation ${field.value}`);
  next("punct", "(");
  next("name", "input");
  next("punct", ":");
  next("punct", "{");
  next("name", "pullRequestId");
  next("punct", ":");
  let id: DraftMutationCall["id"];
  const value = peek();
  if (value?.kind === "variable") {
    at += 1;
    if (declared.get(value.value) !== "ID!" && declared.get(value.value) !== "ID") throw unhandled(`$${value.value} is not declared as ID!`);
    id = { variable: value.value };
  } else {
    id = { literal: next("string").value };
  }
  next("punct", "}");
  next("punct", ")");
  const selections = parseSelections();
  next("punct", "}");
  if (at !== tokens.length) throw unhandled("more than one field in the operation");
  for (const selection of selections) {
    if (!PAYLOAD_FIELDS.has(selection.name)) throw unhandled(`the payload field ${selection.name}`);
    for (const child of selection.children ?? []) {
      if (child.children || !PULL_REQUEST_FIELDS.has(child.name)) throw unhandled(`the PullRequest field ${child.name}`);
    }
    if (selection.name === "pullRequest" && !selection.children) throw unhandled("pullRequest without a selection");
  }
  return { mutation: field.value as DraftMutation, location: field.location, id, selections };

  function parseSelections(): Selection[] {
    next("punct", "{");
    const out: Selection[] = [];
    while (peek()?.value !== "}") {
      const name = next("name");
      out.push({ name: name.value, location: name.location, children: peek()?.value === "{" ? parseSelections() : undefined });
    }
    next("punct", "}");
    if (out.length === 0) throw unhandled("an empty selection");
    return out;
  }
}
