import { describe, expect, it } from "vitest";
import type { AgentDefinition } from "../../src/agents/definition.js";
import { parseAgentDefinition } from "../../src/agents/definition.js";
import { AgentRegistry, defaultCommandFor } from "../../src/agents/registry.js";
import { parseRepoConfig, type RepoConfig } from "../../src/config/repo-config.js";
import type { DirectoryEntry, GitHubPort } from "../../src/github/port.js";

type RepoFiles = Pick<GitHubPort, "listDirectory" | "readFile">;

/** The default branch as a path → contents map. */
function fakePort(files: Record<string, string>, extraEntries: DirectoryEntry[] = []): RepoFiles {
  return {
    async readFile(path) {
      return files[path];
    },
    async listDirectory(dir) {
      const entries: DirectoryEntry[] = Object.keys(files)
        .filter((p) => p.slice(0, p.lastIndexOf("/")) === dir)
        .map((p) => ({ name: p.slice(p.lastIndexOf("/") + 1), path: p, type: "file" }));
      return [...entries, ...extraEntries.filter((e) => e.path.startsWith(`${dir}/`))];
    },
  };
}

function agent(name: string, body = `You are ${name}.`, extra = ""): string {
  return `---\nname: ${name}\ndescription: |\n  Does ${name} work.\n  TRIGGERS: "${name}"\n${extra}---\n${body}\n`;
}

function def(name: string, body?: string): AgentDefinition {
  return parseAgentDefinition(agent(name, body), `bundled/${name}.md`);
}

function config(raw: unknown): RepoConfig {
  const result = parseRepoConfig(raw);
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return result.config;
}

const bundled = [def("backend-engineer", "Bundled instructions.")];

describe("defaultCommandFor", () => {
  it("drops a role suffix, otherwise keeps the name", () => {
    expect(defaultCommandFor("backend-engineer")).toBe("backend");
    expect(defaultCommandFor("frontend-developer")).toBe("frontend");
    expect(defaultCommandFor("qa-agent")).toBe("qa");
    expect(defaultCommandFor("docs-writer")).toBe("docs-writer");
    expect(defaultCommandFor("engineer")).toBe("engineer");
    expect(defaultCommandFor("agent-engineer-x")).toBe("agent-engineer-x");
  });
});

describe("AgentRegistry.forRepository", () => {
  it("uses the bundled agents when the repository has none", async () => {
    const { registry, problems } = await AgentRegistry.forRepository(fakePort({}), bundled);
    expect(problems).toEqual([]);
    expect(registry.list().map((a) => a.name)).toEqual(["backend-engineer"]);
  });

  it("lets a repository definition with the same name win over the bundled one", async () => {
    const port = fakePort({
      ".claude/agents/backend.md": agent("backend-engineer", "Repository instructions."),
      ".claude/agents/docs-writer.md": agent("docs-writer"),
    });
    const { registry, problems } = await AgentRegistry.forRepository(port, bundled);
    expect(problems).toEqual([]);
    expect(registry.get("backend-engineer")?.body).toBe("Repository instructions.");
    expect(registry.get("backend-engineer")?.source).toBe(".claude/agents/backend.md");
    expect(registry.list().map((a) => a.name)).toEqual(["backend-engineer", "docs-writer"]);
  });

  it("skips a broken repository definition and reports it", async () => {
    const port = fakePort({
      ".claude/agents/broken.md": "---\nname: Not Valid\ndescription: d\n---\nbody",
      ".claude/agents/good.md": agent("docs-writer"),
    });
    const { registry, problems } = await AgentRegistry.forRepository(port, bundled);
    expect(registry.list().map((a) => a.name)).toEqual(["backend-engineer", "docs-writer"]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^\.claude\/agents\/broken\.md: `name` "Not Valid" is not valid.*skipped/);
  });

  it("keeps the bundled agent when the repository's override of it is broken", async () => {
    const port = fakePort({ ".claude/agents/backend-engineer.md": "no frontmatter" });
    const { registry, problems } = await AgentRegistry.forRepository(port, bundled);
    expect(registry.get("backend-engineer")?.body).toBe("Bundled instructions.");
    expect(problems[0]).toMatch(/backend-engineer\.md: missing frontmatter/);
  });

  it("reports two repository files defining the same agent, keeping the first", async () => {
    const port = fakePort({
      ".claude/agents/b.md": agent("docs-writer", "Second."),
      ".claude/agents/a.md": agent("docs-writer", "First."),
    });
    const { registry, problems } = await AgentRegistry.forRepository(port, bundled);
    expect(registry.get("docs-writer")?.body).toBe("First.");
    expect(problems).toEqual([
      ".claude/agents/b.md: `docs-writer` is already defined in .claude/agents/a.md; skipped (rename one of them)",
    ]);
  });

  it("ignores directories and files that are not markdown", async () => {
    const port = fakePort({ ".claude/agents/README.txt": "notes" }, [
      { name: "old", path: ".claude/agents/old", type: "dir" },
    ]);
    const { registry, problems } = await AgentRegistry.forRepository(port, bundled);
    expect(problems).toEqual([]);
    expect(registry.list()).toHaveLength(1);
  });

  it("lets a GitHub failure through rather than running the wrong agent", async () => {
    const port: RepoFiles = {
      readFile: async () => undefined,
      listDirectory: async () => {
        throw new Error("HTTP 502");
      },
    };
    await expect(AgentRegistry.forRepository(port, bundled)).rejects.toThrow("HTTP 502");
  });
});

describe("AgentRegistry routes", () => {
  const registry = new AgentRegistry([def("backend-engineer"), def("docs-writer"), def("qa-agent")]);

  it("derives commands and labels from names by default", () => {
    expect(registry.routes(config(null))).toEqual([
      { name: "backend-engineer", command: "backend", label: "backend", triggerWords: ["backend-engineer"] },
      { name: "docs-writer", command: "docs-writer", label: "docs-writer", triggerWords: ["docs-writer"] },
      { name: "qa-agent", command: "qa", label: "qa", triggerWords: ["qa-agent"] },
    ]);
    expect(registry.problems(config(null))).toEqual([]);
  });

  it("takes commands and labels from the config", () => {
    const routes = registry.routes(config({ agents: { "docs-writer": { command: "/Docs", label: "needs docs" } } }));
    expect(routes.find((r) => r.name === "docs-writer")).toMatchObject({ command: "docs", label: "needs docs" });
    expect(routes.find((r) => r.name === "backend-engineer")).toMatchObject({ command: "backend", label: "backend" });
  });

  it("leaves out disabled agents", () => {
    const cfg = config({ agents: { "qa-agent": { enabled: false } } });
    expect(registry.routes(cfg).map((r) => r.name)).toEqual(["backend-engineer", "docs-writer"]);
    expect(registry.problems(cfg)).toEqual([]);
  });

  it("reports config naming an agent that doesn't exist", () => {
    expect(registry.problems(config({ agents: { foo: { label: "x" } } }))).toEqual([
      "`agents.foo` names no agent; known agents: backend-engineer, docs-writer, qa-agent",
    ]);
  });

  it("reports two agents sharing a command", () => {
    const problems = registry.problems(config({ agents: { "docs-writer": { command: "backend", label: "docs" } } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^agents `backend-engineer` and `docs-writer` both use the command \/backend; /);
    expect(problems[0]).toContain(".github/planwright.yml");
    expect(problems[0]).toContain("`agents.<name>.command`");
  });

  it("reports two agents sharing a label, ignoring case as GitHub does", () => {
    const problems = registry.problems(config({ agents: { "qa-agent": { label: "Backend" } } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^agents `backend-engineer` and `qa-agent` both use the label `backend`; /);
  });

  it("does not count a disabled agent in a collision", () => {
    const cfg = config({ agents: { "docs-writer": { command: "backend", label: "backend" }, "backend-engineer": { enabled: false } } });
    expect(registry.problems(cfg)).toEqual([]);
    expect(registry.routes(cfg).find((r) => r.command === "backend")?.name).toBe("docs-writer");
  });

  it("looks agents up by name", () => {
    expect(registry.get("docs-writer")?.name).toBe("docs-writer");
    expect(registry.get("nobody")).toBeUndefined();
  });
});
