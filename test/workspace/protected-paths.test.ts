import { describe, expect, it } from "vitest";
import { protectedPathMatcher } from "../../src/workspace/protected-paths.js";

describe("protectedPathMatcher", () => {
  it("matches the default workflows glob at any depth below the directory", () => {
    const isProtected = protectedPathMatcher([".github/workflows/**"]);
    expect(isProtected(".github/workflows/ci.yml")).toBe(true);
    expect(isProtected(".github/workflows/nested/deploy.yml")).toBe(true);
    expect(isProtected(".github/dependabot.yml")).toBe(false);
    expect(isProtected("src/.github/workflows/ci.yml")).toBe(false);
  });

  it("supports *, ** and {a,b} as the repository config writes them", () => {
    const isProtected = protectedPathMatcher(["**/*.{pem,key}", "infra/*.tf"]);
    expect(isProtected("certs/server.pem")).toBe(true);
    expect(isProtected("a/b/c/id.key")).toBe(true);
    expect(isProtected("id.key")).toBe(true);
    expect(isProtected("infra/main.tf")).toBe(true);
    expect(isProtected("infra/modules/vpc.tf")).toBe(false);
    expect(isProtected("src/key.ts")).toBe(false);
  });

  it("treats a plain directory name, with or without a leading ./ or trailing /, as everything below it", () => {
    const isProtected = protectedPathMatcher(["./.github/workflows/", "CODEOWNERS"]);
    expect(isProtected(".github/workflows/ci.yml")).toBe(true);
    expect(isProtected(".github/workflows-extra/x")).toBe(false);
    expect(isProtected("CODEOWNERS")).toBe(true);
    expect(isProtected("docs/CODEOWNERS")).toBe(false);
  });

  it("protects nothing when the list is empty", () => {
    expect(protectedPathMatcher([])(".github/workflows/ci.yml")).toBe(false);
  });
});
