import { describe, expect, it } from "vitest";
import { parseAgentDefinition, TOOL_NAMES } from "../../src/agents/definition.js";
import { AgentDefinitionError } from "../../src/errors.js";

const SOURCE = ".claude/agents/docs-writer.md";

function file(frontmatter: string, body = "You write documentation.\n"): string {
  return `---\n${frontmatter}\n---\n\n${body}`;
}

function parseError(text: string): AgentDefinitionError {
  try {
    parseAgentDefinition(text, SOURCE);
  } catch (error) {
    if (error instanceof AgentDefinitionError) return error;
    throw error;
  }
  throw new Error("expected an AgentDefinitionError");
}

describe("parseAgentDefinition", () => {
  it("parses a complete definition", () => {
    const text = file(
      [
        "name: docs-writer",
        "description: |",
        "  WHEN TO USE: documentation changes",
        "  READS: /docs/style.md, README.md",
        '  TRIGGERS: "docs", "readme"',
        "tools: Read, Edit, Glob",
        "model: claude-sonnet-4-5",
        "color: blue",
      ].join("\n"),
      "# Role\n\nYou write documentation.\n\n---\n\nA rule after a horizontal rule.\n",
    );
    const def = parseAgentDefinition(text, SOURCE);
    expect(def).toEqual({
      name: "docs-writer",
      description: 'WHEN TO USE: documentation changes\nREADS: /docs/style.md, README.md\nTRIGGERS: "docs", "readme"',
      tools: ["Read", "Edit", "Glob"],
      unsupportedTools: [],
      model: "claude-sonnet-4-5",
      body: "# Role\n\nYou write documentation.\n\n---\n\nA rule after a horizontal rule.",
      triggers: ["docs", "readme"],
      reads: ["docs/style.md", "README.md"],
      source: SOURCE,
    });
  });

  it("tolerates a BOM and CRLF line endings", () => {
    const text = "\uFEFF" + file("name: docs-writer\ndescription: Writes docs\ntools: Read, Grep", "Line one\nLine two\n").replace(/\n/g, "\r\n");
    const def = parseAgentDefinition(text, SOURCE);
    expect(def.name).toBe("docs-writer");
    expect(def.description).toBe("Writes docs");
    expect(def.tools).toEqual(["Read", "Grep"]);
    expect(def.body).toBe("Line one\nLine two");
  });

  it("accepts tools as a YAML list", () => {
    const def = parseAgentDefinition(file("name: a\ndescription: d\ntools:\n  - Bash\n  - Write\n  - Bash"), SOURCE);
    expect(def.tools).toEqual(["Bash", "Write"]);
  });

  it("gives every tool when tools is absent or empty-valued, as Claude Code does", () => {
    expect(parseAgentDefinition(file("name: a\ndescription: d"), SOURCE).tools).toEqual([...TOOL_NAMES]);
    expect(parseAgentDefinition(file("name: a\ndescription: d\ntools:"), SOURCE).tools).toEqual([...TOOL_NAMES]);
    expect(TOOL_NAMES).toEqual(["Read", "Write", "Edit", "Bash", "Glob", "Grep"]);
  });

  it("treats model: inherit like no model", () => {
    const def = parseAgentDefinition(file("name: a\ndescription: d\nmodel: inherit"), SOURCE);
    expect(def.model).toBeUndefined();
    expect("model" in def).toBe(false);
  });

  it("allows an empty body", () => {
    expect(parseAgentDefinition("---\nname: a\ndescription: d\n---\n", SOURCE).body).toBe("");
  });

  describe("errors name the source and say what to fix", () => {
    it("missing frontmatter", () => {
      const error = parseError("You are an engineer.\n");
      expect(error.source).toBe(SOURCE);
      expect(error.message).toMatch(/^\.claude\/agents\/docs-writer\.md: missing frontmatter/);
      expect(error.message).toContain("---");
      expect(error.message).toContain("name:");
    });

    it("frontmatter never closed", () => {
      const error = parseError("---\nname: a\ndescription: d\n\nbody");
      expect(error.message).toContain(SOURCE);
      expect(error.message).toMatch(/never closed: add a `---` line/);
    });

    it("empty frontmatter", () => {
      expect(parseError("---\n---\nbody").message).toMatch(/frontmatter is empty: add `name:` and `description:`/);
    });

    it("frontmatter that is not a mapping", () => {
      expect(parseError("---\n- a\n- b\n---\nbody").message).toMatch(/`key: value` lines/);
    });

    it("bad YAML, with the file's line number", () => {
      const error = parseError("---\nname: a\ndescription: [unclosed\n---\nbody");
      expect(error.message).toContain(SOURCE);
      expect(error.message).toMatch(/not valid YAML at line \d+/);
      const dup = parseError("---\nname: a\nname: b\ndescription: d\n---\n");
      expect(dup.message).toMatch(/not valid YAML at line 3/);
    });

    it("missing name", () => {
      const error = parseError(file("description: d"));
      expect(error.message).toBe(`${SOURCE}: missing \`name\` in the frontmatter: add a line such as \`name: my-agent\``);
    });

    it("invalid name, suggesting a valid one", () => {
      const error = parseError(file("name: Docs Writer\ndescription: d"));
      expect(error.message).toContain(SOURCE);
      expect(error.message).toContain("lowercase letters, digits and hyphens");
      expect(error.message).toContain("`docs-writer`");
      expect(parseError(file("name: -a\ndescription: d")).message).toContain("`a`");
      expect(parseError(file("name: [a]\ndescription: d")).message).toContain("`my-agent`");
    });

    it("missing or blank description", () => {
      for (const frontmatter of ["name: a", 'name: a\ndescription: "  "', "name: a\ndescription: 3"]) {
        const error = parseError(file(frontmatter));
        expect(error.message).toContain(SOURCE);
        expect(error.message).toMatch(/missing `description`.*add `description:`/);
      }
    });

    it("unknown tools, listing the known ones and hinting at a case slip", () => {
      const error = parseError(file("name: a\ndescription: d\ntools: Read, Frobnicate, bash"));
      expect(error.message).toContain(SOURCE);
      expect(error.message).toContain("unknown tools `Frobnicate`, `bash` (did you mean `Bash`?)");
      expect(error.message).toContain("Read, Write, Edit, Bash, Glob, Grep");
      expect(error.message).toContain("leave `tools` out");
    });

    it("Claude Code tools planwright does not provide are dropped and reported, not fatal", () => {
      const definition = parseAgentDefinition(
        file("name: a\ndescription: d\ntools: Read, WebFetch, TodoWrite, mcp__github__create_issue, Bash"),
        SOURCE,
      );
      expect(definition.tools).toEqual(["Read", "Bash"]);
      expect(definition.unsupportedTools).toEqual(["WebFetch", "TodoWrite", "mcp__github__create_issue"]);
    });

    it("tools that are neither a string nor a list of strings", () => {
      expect(parseError(file("name: a\ndescription: d\ntools: {Read: true}")).message).toMatch(
        /`tools` must be a comma-separated line or a YAML list/,
      );
    });

    it("a model that is not a name", () => {
      expect(parseError(file("name: a\ndescription: d\nmodel: 4")).message).toMatch(/`model` must be a model name/);
    });
  });
});
