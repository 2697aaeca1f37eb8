import { describe, expect, it } from "vitest";
import { loadBundledAgents } from "../../src/agents/bundled.js";

async function backendEngineer() {
  const agents = await loadBundledAgents();
  const agent = agents.find((a) => a.name === "backend-engineer");
  if (!agent) throw new Error("backend-engineer is not bundled");
  return agent;
}

describe("loadBundledAgents", () => {
  it("loads the bundled definitions, once", async () => {
    const first = await loadBundledAgents();
    const second = await loadBundledAgents();
    expect(first.map((a) => a.name)).toContain("backend-engineer");
    expect(second).toEqual(first);
    expect(second[0]).toBe(first[0]);
    expect(first[0]?.source).toMatch(/^src\/agents\/definitions\/.+\.md$/);
  });
});

// The seed definition's contract: what a maintainer relies on, not its wording.
describe("bundled backend-engineer", () => {
  it("reads the plan and the intent, repository-relative", async () => {
    expect((await backendEngineer()).reads).toEqual(["docs/plans/backend-plan.md", "docs/intent/product-intent.md"]);
  });

  it("has the seed's six trigger words", async () => {
    expect((await backendEngineer()).triggers).toEqual(["backend", "API", "endpoint", "database", "server", "service"]);
  });

  it("keeps the seed's description sections", async () => {
    const { description } = await backendEngineer();
    const order = ["WHEN TO USE:", "WHAT IT DOES:", "OUTPUTS:", "READS:", "TRIGGERS:"].map((h) => description.indexOf(h));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("has exactly the seed's tools: Read, Edit, Bash, Glob, Grep", async () => {
    expect((await backendEngineer()).tools).toEqual(["Read", "Edit", "Bash", "Glob", "Grep"]);
  });

  it("asks for the report's four headings, exactly and in order, with checklist items", async () => {
    const { body } = await backendEngineer();
    const headings = [...body.matchAll(/^## (Implemented|Tests|Promises Verified|Notes)$/gm)].map((m) => m[0]);
    expect(headings).toEqual(["## Implemented", "## Tests", "## Promises Verified", "## Notes"]);
    const template = body.slice(body.indexOf("## Implemented"), body.indexOf("## Notes") + 200);
    expect(template).toMatch(/## Implemented\n- \[x\] /);
    expect(template).toMatch(/## Tests\n- \[x\] /);
    expect(template).toMatch(/## Promises Verified\n- \[x\] /);
    expect(template).toMatch(/## Notes\n- /);
  });

  it("prescribes the consistent error format", async () => {
    expect((await backendEngineer()).body).toContain('{"error": {"code": "...", "message": "..."}}');
  });

  it("covers each rule of the seed", async () => {
    const body = (await backendEngineer()).body;
    for (const term of [
      "docs/plans/backend-plan.md",
      "docs/intent/product-intent.md",
      "created_at",
      "updated_at",
      "soft delete",
      "indexes",
      "fallback",
      "timeout",
      "`any`",
      "environment variables",
      "one service per domain",
    ]) {
      expect(body.toLowerCase(), term).toContain(term.toLowerCase());
    }
  });

  it("adapts to running unattended inside planwright", async () => {
    const body = (await backendEngineer()).body;
    expect(body).toContain(".github/workflows/");
    expect(body).toContain("- [ ]");
    expect(body).toMatch(/Notes/);
  });
});
