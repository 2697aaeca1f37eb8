import { describe, expect, it } from "vitest";
import type { PullRequest } from "../../src/github/port.js";
import { notOwnPullRequest } from "../../src/pipeline/own-pull-request.js";

const BOT = "planwright[bot]";

function pull(fields: Partial<PullRequest>): PullRequest {
  return {
    number: 7,
    nodeId: "PR_7",
    url: "https://github.com/octo-org/widgets/pull/7",
    state: "open",
    merged: false,
    draft: false,
    headRef: "planwright/issue-12-health",
    headSha: "",
    crossRepository: false,
    baseRef: "main",
    title: "Health",
    body: "",
    author: BOT,
    ...fields,
  };
}

describe("which pull requests are planwright's own", () => {
  it("accepts one its bot opened from a branch in the repository, whatever the login's case", () => {
    expect(notOwnPullRequest(pull({}), BOT)).toBeNull();
    expect(notOwnPullRequest(pull({ author: "Planwright[bot]" }), BOT)).toBeNull();
  });

  it("rejects one from a fork even when the author login matches", () => {
    expect(notOwnPullRequest(pull({ crossRepository: true }), BOT)).toMatch(/in another repository/);
  });

  it("rejects one someone else opened in the repository", () => {
    expect(notOwnPullRequest(pull({ author: "alice" }), BOT)).toMatch(/opened by @alice/);
    expect(notOwnPullRequest(pull({ author: "planwright" }), BOT)).toMatch(/opened by @planwright,/);
  });
});
