import nock from "nock";
import { ProbotOctokit } from "probot";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GitHubAPIError } from "../../src/errors.js";
import { createOctokitGitHubPort } from "../../src/github/octokit-github-port.js";

const NODE_ID = "PR_kwDOAbCdEs5x1y2z";
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function portAt(baseUrl?: string) {
  const octokit = new ProbotOctokit({
    ...(baseUrl ? { baseUrl } : {}),
    auth: { token: "ghs_portTestToken" },
    log: quiet,
    retry: { enabled: false },
    throttle: { enabled: false },
  });
  return createOctokitGitHubPort(octokit, { owner: "octo-org", repo: "widgets" });
}

/** What GitHub's REST API says about pull request #7; only the fields the port reads. */
const restPull = {
  number: 7,
  node_id: NODE_ID,
  html_url: "https://github.com/octo-org/widgets/pull/7",
  state: "open",
  merged_at: null,
  draft: false,
  head: { ref: "planwright/issue-12-health", sha: "a".repeat(40), repo: { full_name: "octo-org/widgets" } },
  base: { ref: "main", repo: { full_name: "octo-org/widgets" } },
  title: "Add a health check",
  body: "Closes #12",
  user: { login: "planwright[bot]" },
};

interface GraphqlBody {
  query?: unknown;
  variables?: Record<string, unknown>;
}

/** A nock body matcher: true only for `mutation` with the pull request's id passed as a variable. */
function sends(mutation: string, nodeId: string) {
  return (body: GraphqlBody): boolean =>
    typeof body.query === "string" &&
    new RegExp(`^mutation \\(\\$pullRequestId: ID!\\) \\{\\s*${mutation}\\(input: \\{ pullRequestId: \\$pullRequestId \\}\\)`).test(body.query) &&
    /pullRequest \{ isDraft \}/.test(body.query) &&
    body.variables?.pullRequestId === nodeId;
}

beforeAll(() => {
  nock.disableNetConnect();
});
afterAll(() => {
  nock.enableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});

describe("telling a fork's pull request from one in the repository", () => {
  const headIn = (number: number, repo: { full_name: string } | null) => ({
    ...restPull,
    number,
    node_id: `PR_${number}`,
    head: { ...restPull.head, repo },
  });

  it("marks pull requests whose head is in a fork, or in a deleted one, as cross-repository", async () => {
    nock("https://api.github.com")
      .get("/repos/octo-org/widgets/pulls")
      .query({ state: "open", per_page: "100" })
      .reply(200, [
        headIn(7, { full_name: "octo-org/widgets" }),
        headIn(8, { full_name: "mallory/widgets" }),
        headIn(9, null),
        headIn(10, { full_name: "Octo-Org/Widgets" }),
        { ...headIn(11, { full_name: "octo-org/widgets" }), head: { ref: "feature", sha: "b".repeat(40), repo: { full_name: "octo-org/widgets" } } },
      ]);
    const pulls = await portAt().listOpenPullRequests("planwright/issue-12");
    expect(pulls.map((p) => [p.number, p.crossRepository])).toEqual([
      [7, false],
      [8, true],
      [9, true],
      [10, false],
    ]);
  });

  it("marks a single pull request from a fork the same way", async () => {
    nock("https://api.github.com").get("/repos/octo-org/widgets/pulls/8").reply(200, headIn(8, { full_name: "mallory/widgets" }));
    expect(await portAt().getPullRequest(8)).toMatchObject({ number: 8, crossRepository: true, author: "planwright[bot]" });
  });
});

describe("setting a pull request's draft state through GraphQL", () => {
  it("reads the node id over REST and sends convertPullRequestToDraft with it", async () => {
    const scope = nock("https://api.github.com")
      .get("/repos/octo-org/widgets/pulls/7")
      .reply(200, restPull)
      .post("/graphql", sends("convertPullRequestToDraft", NODE_ID))
      .reply(200, { data: { convertPullRequestToDraft: { pullRequest: { isDraft: true } } } });
    const port = portAt();
    const pull = await port.getPullRequest(7);
    expect(pull.nodeId).toBe(NODE_ID);
    await port.setPullRequestDraft(pull, true);
    expect(scope.isDone()).toBe(true);
  });

  it("sends markPullRequestReadyForReview to a GitHub Enterprise Server's /api/graphql", async () => {
    const scope = nock("https://ghe.example.com")
      .post("/api/graphql", sends("markPullRequestReadyForReview", NODE_ID))
      .reply(200, { data: { markPullRequestReadyForReview: { pullRequest: { isDraft: false } } } });
    await portAt("https://ghe.example.com/api/v3").setPullRequestDraft({ number: 7, nodeId: NODE_ID }, false);
    expect(scope.isDone()).toBe(true);
  });

  it("turns a server without the mutation (GraphQL errors on HTTP 200) into a GitHubAPIError", async () => {
    nock("https://ghe.example.com")
      .post("/api/graphql")
      .reply(200, {
        errors: [
          {
            path: ["mutation", "convertPullRequestToDraft"],
            extensions: { code: "undefinedField", typeName: "Mutation", fieldName: "convertPullRequestToDraft" },
            locations: [{ line: 2, column: 3 }],
            message: "Field 'convertPullRequestToDraft' doesn't exist on type 'Mutation'",
          },
        ],
      });
    const error = await portAt("https://ghe.example.com/api/v3")
      .setPullRequestDraft({ number: 7, nodeId: NODE_ID }, true)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubAPIError);
    expect((error as GitHubAPIError).message).toMatch(
      /converting pull request #7 to a draft on octo-org\/widgets failed.*Field 'convertPullRequestToDraft' doesn't exist on type 'Mutation'/s,
    );
  });

  it("keeps the HTTP status of a refused request", async () => {
    nock("https://api.github.com").post("/graphql").reply(403, { message: "Resource not accessible by integration" });
    await expect(portAt().setPullRequestDraft({ number: 7, nodeId: NODE_ID }, false)).rejects.toMatchObject({
      name: "GitHubAPIError",
      status: 403,
      message: expect.stringMatching(/marking pull request #7 ready for review .* \(HTTP 403\)/),
    });
  });

  it("does not take an answer that reports the old state for success", async () => {
    nock("https://api.github.com")
      .post("/graphql")
      .reply(200, { data: { markPullRequestReadyForReview: { pullRequest: { isDraft: true } } } });
    await expect(portAt().setPullRequestDraft({ number: 7, nodeId: NODE_ID }, false)).rejects.toThrow(/isDraft=true/);
  });
});
