/**
 * Prompt caching and truncation, measured: the same scripted 30-turn run on a
 * fixture repository, once as planwright sends it (cache breakpoints, long
 * tool output cut to head and tail) and once as a baseline with neither.
 * Usage comes from a simulator of Anthropic's caching rules applied to the
 * requests actually sent.
 *
 *   npx tsx bench/cache-efficiency.ts
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runAgent } from "../src/agent/agent-loop.js";
import { createAnthropicModelClient } from "../src/agent/model-client.js";
import type { Tool } from "../src/agent/tools/tool.js";
import { PlainSandbox } from "../src/sandbox/plain-sandbox.js";
import { startScriptedModel, textReply, toolUseReply, SAMPLE_REPORT } from "../test/helpers/scripted-model.js";
import type { RecordedRequest } from "../test/helpers/scripted-model.js";
import { CacheSimulator } from "./lib/cache-simulator.js";

const TURNS = 30;

/** What a realistic session asks for: reads, searches, edits, and test runs with long output. */
function scriptedCall(turn: number): { name: string; input: Record<string, unknown> } {
  const kind = turn % 5;
  if (kind === 0) return { name: "Bash", input: { command: "npm test" } };
  if (kind === 1) return { name: "Read", input: { file_path: `src/module-${turn % 12}.ts` } };
  if (kind === 2) return { name: "Grep", input: { pattern: "export function" } };
  if (kind === 3) return { name: "Edit", input: { file_path: `src/module-${turn % 12}.ts`, old_string: "a", new_string: "b" } };
  return { name: "Read", input: { file_path: "docs/plans/backend-plan.md" } };
}

function fakeTools(): Tool[] {
  const make = (name: Tool["name"], readOnly: boolean, output: (input: Record<string, unknown>) => string): Tool => ({
    name,
    readOnly,
    description: `${name} (benchmark stand-in with realistic output sizes)`,
    inputSchema: { type: "object", properties: { file_path: { type: "string" }, command: { type: "string" }, pattern: { type: "string" } } },
    async run(input) {
      return { content: output(input as Record<string, unknown>), isError: false };
    },
  });
  const testOutput = Array.from({ length: 2_500 }, (_, i) => `  ✓ test case ${i} passes (${i % 17}ms)`).join("\n") + "\nTests: 2500 passed";
  const fileText = (name: string) => Array.from({ length: 300 }, (_, i) => `${i + 1}\tconst value${i} = compute("${name}", ${i});`).join("\n");
  return [
    make("Bash", false, () => testOutput),
    make("Read", true, (input) => fileText(String(input.file_path))),
    make("Grep", true, () => Array.from({ length: 400 }, (_, i) => `src/module-${i % 12}.ts:${i}:export function f${i}()`).join("\n")),
    make("Edit", false, (input) => `Edited ${String(input.file_path)}: 1 replacement`),
  ];
}

interface Measured {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
  costUsd: number;
}

async function measure(label: string, caching: boolean, truncation: boolean, worktree: string): Promise<Measured> {
  const simulator = new CacheSimulator();
  const model = await startScriptedModel((request: RecordedRequest, index) => {
    // The baseline sends no breakpoints, so nothing is cached.
    const visible = caching ? request : stripCacheControl(request);
    const usage = { ...simulator.usageFor(visible), output_tokens: 150 };
    return index < TURNS - 1 ? toolUseReply([scriptedCall(index)], { usage }) : textReply(SAMPLE_REPORT, { usage });
  });
  try {
    const result = await runAgent({
      client: createAnthropicModelClient({ apiKey: "sk-ant-bench", baseURL: model.url, maxRetries: 0 }),
      model: "claude-sonnet-5-5",
      system: "You are a senior backend engineer. ".repeat(120),
      firstMessage: `Implement the issue.\n\n<document path="docs/plans/backend-plan.md">\n${"Plan line.\n".repeat(800)}</document>`,
      tools: fakeTools(),
      toolContext: { worktree, sandbox: new PlainSandbox(), bashDefaultTimeoutMs: 10_000, bashMaxTimeoutMs: 10_000 },
      limits: { maxTurns: TURNS + 5, maxCostUsd: 1_000, maxWallMs: 120_000 },
      maxToolOutputChars: truncation ? 30_000 : Number.MAX_SAFE_INTEGER,
    });
    const u = result.usage;
    const measured = { input: u.inputTokens, cacheRead: u.cacheReadTokens, cacheWrite: u.cacheWriteTokens, output: u.outputTokens, costUsd: result.costUsd };
    const total = measured.input + measured.cacheRead + measured.cacheWrite;
    console.log(
      `${label.padEnd(34)} turns ${result.turns}  input tokens ${total.toLocaleString("en").padStart(11)}  ` +
        `cache reads ${((measured.cacheRead / total) * 100).toFixed(1).padStart(5)}%  cost $${measured.costUsd.toFixed(2)}`,
    );
    return measured;
  } finally {
    await model.close();
  }
}

function stripCacheControl(request: RecordedRequest): RecordedRequest {
  return JSON.parse(JSON.stringify(request, (key, value: unknown) => (key === "cache_control" ? undefined : value))) as RecordedRequest;
}

async function main(): Promise<void> {
  const worktree = await mkdtemp(path.join(os.tmpdir(), "pw-bench-cache-"));
  await mkdir(path.join(worktree, "src"), { recursive: true });
  await writeFile(path.join(worktree, "src", "index.ts"), "export {};\n");
  console.log(`planwright cache benchmark · ${TURNS}-turn scripted run · ${new Date().toISOString().slice(0, 10)} · node ${process.version}`);
  const planwright = await measure("planwright (cache + truncation)", true, true, worktree);
  const noTruncation = await measure("cache, no truncation", true, false, worktree);
  const baseline = await measure("baseline (no cache, no truncation)", false, false, worktree);
  await rm(worktree, { recursive: true, force: true });

  const sent = (m: Measured) => m.input + m.cacheRead + m.cacheWrite;
  const share = planwright.cacheRead / sent(planwright);
  console.log("");
  console.log(`cache-read share of input tokens:        ${(share * 100).toFixed(1)}%  (target ≥ 80%)`);
  console.log(`tokens sent, planwright / baseline:      ${(sent(planwright) / sent(baseline)).toFixed(3)}`);
  console.log(`tokens sent, truncation alone saves:     ${(1 - sent(planwright) / sent(noTruncation)).toFixed(3)} of the cached run`);
  console.log(`estimated cost, planwright / baseline:   ${(planwright.costUsd / baseline.costUsd).toFixed(3)}`);
  if (share < 0.8) process.exitCode = 1;
}

await main();
