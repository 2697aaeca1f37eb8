import { readdir, readFile } from "node:fs/promises";
import { parseAgentDefinition, type AgentDefinition } from "./definition.js";

// Resolved from the repository root so the same path works from `src/agents/*.ts` (vitest)
// and from `dist/agents/*.js` (after tsc): both sit two levels below it.
const DEFINITIONS_DIR = new URL("../../src/agents/definitions/", import.meta.url);

let cached: Promise<AgentDefinition[]> | undefined;

/** planwright's own agent definitions, read once per process. */
export function loadBundledAgents(): Promise<AgentDefinition[]> {
  cached ??= readDefinitions().catch((error: unknown) => {
    // Don't keep a failure around: a later call may find the files.
    cached = undefined;
    throw error;
  });
  return cached.then((definitions) => [...definitions]);
}

async function readDefinitions(): Promise<AgentDefinition[]> {
  const files = (await readdir(DEFINITIONS_DIR)).filter((f) => f.endsWith(".md")).sort();
  return Promise.all(
    files.map(async (file) => {
      const text = await readFile(new URL(encodeURIComponent(file), DEFINITIONS_DIR), "utf8");
      return parseAgentDefinition(text, `src/agents/definitions/${file}`);
    }),
  );
}
