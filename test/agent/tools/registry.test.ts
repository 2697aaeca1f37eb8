import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { TOOL_NAMES } from "../../../src/agents/definition.js";
import { defineTool } from "../../../src/agent/tools/define-tool.js";
import { createTool, createTools, toolByName } from "../../../src/agent/tools/registry.js";
import type { ToolContext } from "../../../src/agent/tools/tool.js";
import { Fixtures, toolContext } from "./tool-fixtures.js";

/** A value of the type each JSON Schema property asks for. */
function sampleValue(schema: unknown): unknown {
  const type = (schema as { type?: string; enum?: unknown[] }).type;
  if ((schema as { enum?: unknown[] }).enum) return (schema as { enum: unknown[] }).enum[0];
  return type === "number" ? 1 : type === "boolean" ? false : "x";
}

describe("tool registry", () => {
  const fixtures = new Fixtures();
  let context: ToolContext;

  beforeAll(async () => {
    context = toolContext(await fixtures.repo({ "x": "x\n" }));
  });
  afterAll(() => fixtures.cleanup());

  it("creates the tools a definition names, each once, in a fixed order", () => {
    expect(createTools(["Grep", "Read", "Grep", "Bash"]).map((tool) => tool.name)).toEqual(["Read", "Bash", "Grep"]);
    expect(createTools([...TOOL_NAMES].reverse()).map((tool) => tool.name)).toEqual([...TOOL_NAMES]);
    expect(createTools([])).toEqual([]);
  });

  it("marks only the tools that change nothing as read-only", () => {
    const readOnly = Object.fromEntries(createTools([...TOOL_NAMES]).map((tool) => [tool.name, tool.readOnly]));
    expect(readOnly).toEqual({ Read: true, Write: false, Edit: false, Bash: false, Glob: true, Grep: true });
  });

  it("finds a tool by the name the model called", () => {
    const tools = createTools(["Read", "Edit"]);
    expect(toolByName(tools, "Edit")?.name).toBe("Edit");
    expect(toolByName(tools, "Bash")).toBeUndefined();
  });

  it.each(TOOL_NAMES)("%s advertises a JSON Schema its input validation agrees with", async (name) => {
    const tool = createTool(name);
    const schema = tool.inputSchema;
    expect(tool.description.length).toBeGreaterThan(50);
    expect(schema.additionalProperties).toBe(false);
    for (const required of schema.required ?? []) expect(Object.keys(schema.properties)).toContain(required);

    // Nothing given: every required parameter is named in the error.
    const empty = await tool.run({}, context);
    expect(empty.isError).toBe(true);
    for (const required of schema.required ?? []) expect(empty.content).toContain(`"${required}" is required`);

    // Every advertised parameter is accepted by the validation (whatever the call then does).
    const everything = Object.fromEntries(Object.entries(schema.properties).map(([key, value]) => [key, sampleValue(value)]));
    const result = await tool.run(name === "Bash" ? { ...everything, timeout: 5_000 } : everything, context);
    expect(result.content).not.toContain("Invalid input");

    const unknown = await tool.run({ ...everything, bogus: 1 }, context);
    expect(unknown).toEqual({ isError: true, content: expect.stringContaining('unknown parameter "bogus"') });
  });

  it("turns an exception inside a tool into an error result", async () => {
    const failing = defineTool({
      name: "Read",
      description: "fails",
      readOnly: true,
      inputSchema: { type: "object", properties: {} },
      usage: "Read{}",
      schema: z.object({}),
      execute: () => Promise.reject(new Error("disk on fire")),
    });
    await expect(failing.run({}, context)).resolves.toEqual({ isError: true, content: "Read failed: disk on fire" });
  });
});
