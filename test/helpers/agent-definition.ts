import type { AgentDefinition } from "../../src/agents/definition.js";

/** A minimal agent definition for tests that need one but not the bundled engineer's text. */
export function testDefinition(overrides: Partial<AgentDefinition> = {}): AgentDefinition {
  return {
    name: "test-engineer",
    description: "Implements issues in tests.",
    tools: ["Bash"],
    unsupportedTools: [],
    body: "Implement the issue.",
    triggers: [],
    reads: [],
    source: "test",
    ...overrides,
  };
}
