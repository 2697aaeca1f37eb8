import { describe, expect, it } from "vitest";
import { neutralizeReferences } from "../../src/security/neutralize-references.js";

describe("neutralizeReferences", () => {
  it("wraps mentions so nobody is notified by the agent's words", () => {
    expect(neutralizeReferences("Thanks @octocat and @acme/security-team.")).toBe("Thanks `@octocat` and `@acme/security-team`.");
  });

  it("wraps closing keywords so merging cannot close other issues", () => {
    expect(neutralizeReferences("- Fixes #12, closes #3 and Resolves: octo/repo#4")).toBe(
      "- `Fixes #12`, `closes #3` and `Resolves: octo/repo#4`",
    );
  });

  it("leaves plain references, e-mail addresses and code alone", () => {
    const text = ["See #12 and user@example.com.", "`@decorator` and `fixes #1` in code", "```ts", "@Injectable() // fixes #2", "```"].join("\n");
    expect(neutralizeReferences(text)).toBe(text);
  });

  it("works again after a fenced block ends", () => {
    expect(neutralizeReferences("```\n@a\n```\nping @b")).toBe("```\n@a\n```\nping `@b`");
  });
});
