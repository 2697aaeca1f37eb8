import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { defaultRepoConfig } from "../../src/config/repo-config.js";
import { createRunToken } from "../../src/worker/create-run-token.js";
import { makeJobSpec } from "../helpers/job-spec.js";

const API = "https://api.github.com";
const octokit = new Octokit({ auth: "app-jwt", request: { retries: 0 } });

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});

function spec(protectedPaths: string[]) {
  return makeJobSpec({ installationId: 77, config: { ...defaultRepoConfig(), protected_paths: protectedPaths } });
}

const asked = (permissions: Record<string, string>) => (body: { repositories?: string[]; permissions?: Record<string, string> }) =>
  JSON.stringify(body.permissions) === JSON.stringify(permissions) && body.repositories?.length === 1;

describe("createRunToken", () => {
  it("asks for contents only while workflow files are protected (the default)", async () => {
    const scope = nock(API).post("/app/installations/77/access_tokens", asked({ contents: "write" })).reply(201, { token: "ghs_contents" });
    expect(await createRunToken(octokit, spec(defaultRepoConfig().protected_paths))).toBe("ghs_contents");
    expect(scope.isDone()).toBe(true);
  });

  it("asks for the workflows permission too when the repository lets workflow files through", async () => {
    const scope = nock(API).post("/app/installations/77/access_tokens", asked({ contents: "write", workflows: "write" })).reply(201, { token: "ghs_workflows" });
    expect(await createRunToken(octokit, spec(["secrets/**"]))).toBe("ghs_workflows");
    expect(scope.isDone()).toBe(true);
  });

  it("falls back to contents when the app was not granted workflows", async () => {
    const scope = nock(API)
      .post("/app/installations/77/access_tokens", asked({ contents: "write", workflows: "write" }))
      .reply(422, { message: "The permissions requested are not granted to this installation." })
      .post("/app/installations/77/access_tokens", asked({ contents: "write" }))
      .reply(201, { token: "ghs_contents" });
    expect(await createRunToken(octokit, spec([]))).toBe("ghs_contents");
    expect(scope.isDone()).toBe(true);
  });

  it("passes other failures on", async () => {
    nock(API).post("/app/installations/77/access_tokens").reply(500, { message: "boom" });
    await expect(createRunToken(octokit, spec([]))).rejects.toMatchObject({ status: 500 });
  });
});
