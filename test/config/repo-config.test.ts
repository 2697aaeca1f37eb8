import { describe, expect, it } from "vitest";
import { defaultRepoConfig, parseRepoConfig } from "../../src/config/repo-config.js";

describe("parseRepoConfig", () => {
  it("gives every default when the file is absent", () => {
    const result = parseRepoConfig(null);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toEqual(defaultRepoConfig());
    expect(result.config).toMatchObject({
      permission: "write",
      auto_trigger: false,
      protected_paths: [".github/workflows/**"],
      docs: { plan: "docs/plans/backend-plan.md", intent: "docs/intent/product-intent.md", required: false },
      limits: { fix_rounds: 2 },
      pull_request: { branch_prefix: "planwright/", draft: false },
      review: { on_changes_requested: true },
    });
  });

  it("accepts a full file and normalises commands", () => {
    const result = parseRepoConfig({
      agents: { "backend-engineer": { command: "/Build", label: "build-it" } },
      model: "claude-opus-5",
      docs: { plan: "PLAN.md", required: true },
      commands: { setup: "npm ci", test: "npm test", test_timeout: 600 },
      limits: { turns: 40, cost_usd: 2.5, minutes: 20, fix_rounds: 1 },
      pull_request: { draft: true, branch_prefix: "bots/", labels: ["automated"] },
      review: { on_changes_requested: false },
      permission: "maintain",
      allowed_bots: ["renovate[bot]"],
      protected_paths: [".github/**", "infra/**"],
      auto_trigger: true,
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.agents["backend-engineer"]).toEqual({ command: "build", label: "build-it", enabled: true });
    expect(result.config.docs).toEqual({ plan: "PLAN.md", intent: "docs/intent/product-intent.md", required: true });
    expect(result.config.limits.cost_usd).toBe(2.5);
  });

  it("names every unknown key with what is allowed, and every bad value, at once", () => {
    const result = parseRepoConfig({
      auto_triger: true,
      limits: { turns: "many", budget: 3 },
      permission: "read",
      pull_request: { branch_prefix: "no-slash" },
      agents: { "backend-engineer": { command: "two words", colour: "red" } },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = result.problems.join("\n");
    expect(text).toMatch(/`auto_triger` is not a known key; allowed here: .*`auto_trigger`/);
    expect(text).toMatch(/`limits.budget` is not a known key; allowed here: `turns`, `cost_usd`, `minutes`, `fix_rounds`/);
    expect(text).toMatch(/`limits.turns`: .*number/);
    expect(text).toMatch(/`permission` must be one of "write", "maintain", "admin"/);
    expect(text).toMatch(/`pull_request.branch_prefix`: must be a branch name prefix ending in `\/`/);
    expect(text).toMatch(/`agents.backend-engineer.command`: must be a single word/);
    expect(text).toMatch(/`agents.backend-engineer.colour` is not a known key; allowed here: `command`, `label`, `enabled`, `model`/);
    expect(result.problems).toHaveLength(7);
  });

  it("takes commands.network as all, setup-only or none, and says so for anything else (YAML 1.1's on is true)", () => {
    const parsed = parseRepoConfig({ commands: { network: "setup-only" } });
    expect(parsed.ok && parsed.config.commands.network).toBe("setup-only");
    const wrong = parseRepoConfig({ commands: { network: true } });
    expect(wrong.ok).toBe(false);
    if (!wrong.ok) expect(wrong.problems.join("\n")).toMatch(/commands\.network.*all.*setup-only.*none/);
  });

  it("rejects a file that is not a mapping", () => {
    for (const raw of ["backend", ["a"], 3]) {
      const result = parseRepoConfig(raw);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problems[0]).toMatch(/YAML mapping/);
    }
  });
});
