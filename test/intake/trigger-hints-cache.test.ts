import { describe, expect, it } from "vitest";
import { loadBundledAgents } from "../../src/agents/bundled.js";
import { handleWebhook } from "../../src/intake/handle-webhook.js";
import type { IntakeDependencies } from "../../src/intake/handle-webhook.js";
import { TriggerHintsCache } from "../../src/intake/trigger-hints-cache.js";
import { SqliteJobQueue } from "../../src/queue/sqlite-job-queue.js";
import type { AgentRoute } from "../../src/triggers/trigger.js";
import { FakeGitHub } from "../helpers/fake-github.js";
import { examplePayload } from "../helpers/payloads.js";

const ROUTES: AgentRoute[] = [{ name: "backend-engineer", command: "backend", label: "Backend", triggerWords: [] }];
const REPO = "Codertocat/Hello-World";

function issuesEvent(action: "labeled" | "unlabeled" | "opened", label?: string): unknown {
  return { action, ...(label ? { label: { name: label } } : {}), repository: { full_name: REPO } };
}

function push(
  files: { added?: string[]; modified?: string[]; removed?: string[] }[],
  options: { ref?: string; repo?: string; name?: string; defaultBranch?: string } = {},
): unknown {
  return {
    ref: options.ref ?? `refs/heads/${options.defaultBranch ?? "main"}`,
    repository: { full_name: options.repo ?? REPO, name: options.name ?? "Hello-World", default_branch: options.defaultBranch ?? "main" },
    commits: files.map((f) => ({ added: f.added ?? [], modified: f.modified ?? [], removed: f.removed ?? [] })),
  };
}

describe("TriggerHintsCache", () => {
  it("knows nothing until told, then rules out other labels and new issues without auto_trigger", () => {
    const cache = new TriggerHintsCache();
    expect(cache.skipReason("issues", issuesEvent("labeled", "bug"), REPO)).toBeUndefined();

    cache.remember(REPO, ROUTES, false);

    expect(cache.skipReason("issues", issuesEvent("labeled", "bug"), REPO)).toBe('label "bug" is not an agent label (cached config)');
    expect(cache.skipReason("issues", issuesEvent("unlabeled", "bug"), REPO)).toContain("not an agent label");
    expect(cache.skipReason("issues", issuesEvent("labeled", "backend"), REPO.toUpperCase())).toBeUndefined();
    expect(cache.skipReason("issues", issuesEvent("opened"), REPO)).toBe("auto_trigger is off (cached config)");
    // Comments and reviews are never judged from the cache.
    expect(cache.skipReason("issue_comment", { action: "created" }, REPO)).toBeUndefined();
    cache.remember(REPO, ROUTES, true);
    expect(cache.skipReason("issues", issuesEvent("opened"), REPO)).toBeUndefined();
  });

  it("forgets a repository after the TTL", () => {
    let time = 0;
    const cache = new TriggerHintsCache({ ttlMs: 1000, now: () => time });
    cache.remember(REPO, ROUTES, false);
    time = 999;
    expect(cache.get(REPO)).toBeDefined();
    time = 1000;
    expect(cache.get(REPO)).toBeUndefined();
  });

  it("keeps at most maxRepos, dropping the least recently used", () => {
    const cache = new TriggerHintsCache({ maxRepos: 2 });
    cache.remember("o/a", ROUTES, false);
    cache.remember("o/b", ROUTES, false);
    cache.get("o/a");
    cache.remember("o/c", ROUTES, false);
    expect([cache.get("o/a"), cache.get("o/b"), cache.get("o/c")].map(Boolean)).toEqual([true, false, true]);
  });

  it("drops a repository when a push to its default branch touches the config or an agent definition", () => {
    const cache = new TriggerHintsCache();
    const remembered = (): boolean => {
      const had = cache.get(REPO) !== undefined;
      cache.remember(REPO, ROUTES, false);
      return had;
    };
    cache.remember(REPO, ROUTES, false);

    cache.notePush(push([{ modified: ["src/index.ts"] }]));
    expect(remembered()).toBe(true);
    cache.notePush(push([{ modified: [".github/planwright.yml"] }], { ref: "refs/heads/feature" }));
    expect(remembered()).toBe(true);
    cache.notePush(push([{ modified: ["README.md"] }, { modified: [".github/planwright.yml"] }]));
    expect(remembered()).toBe(false);
    cache.notePush(push([{ added: [".claude/agents/api.md"] }]));
    expect(remembered()).toBe(false);
    cache.notePush(push([{ removed: [".claude/agents/backend-engineer.md"] }]));
    expect(remembered()).toBe(false);
    // A push GitHub could not list in full (no commits: a force push; 20: the payload's cap) counts as a change.
    cache.notePush(push([]));
    expect(remembered()).toBe(false);
    cache.notePush(push(Array.from({ length: 20 }, () => ({ modified: ["src/x.ts"] }))));
    expect(remembered()).toBe(false);
  });

  it("drops every repository of an owner when its .github repository's config changes", () => {
    const cache = new TriggerHintsCache();
    cache.remember("Codertocat/a", ROUTES, false);
    cache.remember("Codertocat/b", ROUTES, false);
    cache.remember("someone-else/c", ROUTES, false);

    cache.notePush(push([{ modified: [".github/planwright.yml"] }], { repo: "Codertocat/.github", name: ".github" }));

    expect([cache.get("Codertocat/a"), cache.get("Codertocat/b"), cache.get("someone-else/c")].map(Boolean)).toEqual([false, false, true]);
  });
});

describe("handleWebhook with trigger hints", () => {
  it("reads the config for the first non-agent label only, and again after a push changed it", async () => {
    const github = new FakeGitHub();
    github.permissions.set("Codertocat", "write");
    const queue = new SqliteJobQueue({ path: ":memory:" });
    const triggerHints = new TriggerHintsCache();
    let configReads = 0;
    let config: unknown = null;
    const access = {
      github,
      loadConfig: async () => {
        configReads++;
        return config;
      },
    };
    const quiet = () => undefined;
    const deps: IntakeDependencies = {
      queue,
      bundledAgents: loadBundledAgents,
      appBotLogin: async () => "planwright[bot]",
      log: { info: quiet, warn: quiet, debug: quiet, error: quiet } as unknown as IntakeDependencies["log"],
      triggerHints,
    };
    const labeled = (name: string) => {
      const payload = { ...examplePayload("issues", "labeled"), installation: { id: 77, node_id: "x" } };
      payload.label = { ...payload.label!, name };
      return payload;
    };
    const deliver = (name: string, payload: unknown) => handleWebhook({ deliveryId: crypto.randomUUID(), name, payload }, access, deps);
    const repo = (labeled("bug") as { repository: { full_name: string; default_branch: string } }).repository;
    try {
      expect(await deliver("issues", labeled("bug"))).toMatchObject({ status: "ignored" });
      expect(await deliver("issues", labeled("wontfix"))).toMatchObject({ status: "ignored", reason: expect.stringContaining("cached config") });
      expect(configReads).toBe(1);

      // The repository renames the agent's label; the push says so before anyone uses it.
      config = { agents: { "backend-engineer": { label: "bug" } } };
      triggerHints.notePush(push([{ modified: [".github/planwright.yml"] }], { repo: repo.full_name, defaultBranch: repo.default_branch }));

      const afterRename = await deliver("issues", labeled("bug"));
      expect(afterRename, JSON.stringify(afterRename)).toMatchObject({ status: "enqueued" });
      expect(configReads).toBe(2);
      // An agent label always gets a fresh read, cached hints or not.
      await deliver("issues", labeled("bug"));
      expect(configReads).toBe(3);
    } finally {
      await queue.close();
    }
  });
});
