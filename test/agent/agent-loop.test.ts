import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runAgent } from "../../src/agent/agent-loop.js";
import type { AgentEvent, AgentRunOptions } from "../../src/agent/agent-loop.js";
import { createAnthropicModelClient } from "../../src/agent/model-client.js";
import { createReadTool } from "../../src/agent/tools/read-tool.js";
import type { Tool } from "../../src/agent/tools/tool.js";
import { createJsonlTranscript } from "../../src/agent/transcript.js";
import { PlainSandbox } from "../../src/sandbox/plain-sandbox.js";
import { errorReply, SAMPLE_REPORT, startScriptedModel, textReply, toolUseReply } from "../helpers/scripted-model.js";
import type { Reply, ScriptedModel, Script } from "../helpers/scripted-model.js";

let model: ScriptedModel | undefined;
let dir: string | undefined;
afterEach(async () => {
  await model?.close();
  model = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A tool that records its calls; output and behaviour are the test's choice. */
function fakeTool(name: "Read" | "Bash" | "Edit", behave: (input: Record<string, unknown>, signal: AbortSignal) => Promise<string> | string, readOnly = true) {
  const calls: Record<string, unknown>[] = [];
  const tool: Tool = {
    name,
    description: `fake ${name}`,
    inputSchema: { type: "object", properties: {} },
    readOnly,
    async run(input, context) {
      calls.push(input as Record<string, unknown>);
      try {
        return { content: await behave(input as Record<string, unknown>, context.signal), isError: false };
      } catch (error) {
        return { content: String(error), isError: true };
      }
    },
  };
  return { tool, calls };
}

async function run(script: Script | Reply[], overrides: Partial<AgentRunOptions> = {}) {
  model = await startScriptedModel(script);
  dir = await mkdtemp(path.join(os.tmpdir(), "pw-loop-"));
  const events: AgentEvent[] = [];
  const result = await runAgent({
    client: createAnthropicModelClient({ apiKey: "sk-ant-test", baseURL: model.url, maxRetries: 2 }),
    model: "claude-sonnet-5-5",
    system: "You are a careful engineer.",
    firstMessage: "Implement issue #1.",
    tools: [],
    toolContext: { worktree: dir, sandbox: new PlainSandbox(), bashDefaultTimeoutMs: 10_000, bashMaxTimeoutMs: 60_000 },
    limits: { maxTurns: 10, maxCostUsd: 5, maxWallMs: 30_000 },
    onEvent: (e) => events.push(e),
    ...overrides,
  });
  return { result, events, requests: model.requests };
}

describe("runAgent", () => {
  it("runs tools until the model reports, and adds up tokens and cost", async () => {
    const read = fakeTool("Read", (input) => `contents of ${String(input.file_path)}`);
    const { result, requests, events } = await run(
      [
        toolUseReply([{ name: "Read", input: { file_path: "docs/plans/backend-plan.md" } }], {
          usage: { input_tokens: 1000, output_tokens: 100, cache_creation_input_tokens: 2000 },
        }),
        textReply(SAMPLE_REPORT, { usage: { input_tokens: 50, output_tokens: 300, cache_read_input_tokens: 3000 } }),
      ],
      { tools: [read.tool] },
    );
    expect(result.stopReason).toBe("completed");
    expect(result.finalText).toBe(SAMPLE_REPORT);
    expect(result.turns).toBe(2);
    expect(read.calls).toEqual([{ file_path: "docs/plans/backend-plan.md" }]);
    expect(result.usage).toEqual({ inputTokens: 1050, outputTokens: 400, cacheReadTokens: 3000, cacheWriteTokens: 2000 });
    // Sonnet list prices: $3 in, $15 out, $3.75 cache write, $0.30 cache read per million.
    expect(result.costUsd).toBeCloseTo((1050 * 3 + 400 * 15 + 2000 * 3.75 + 3000 * 0.3) / 1e6, 10);
    expect(result.costIsEstimate).toBe(false);
    const second = requests[1]!;
    const toolResult = (second.messages[2]!.content as Array<Record<string, unknown>>)[0]!;
    expect(toolResult).toMatchObject({ type: "tool_result", content: "contents of docs/plans/backend-plan.md" });
    expect(toolResult.is_error).toBeUndefined();
    expect(events.filter((e) => e.type === "tool")).toEqual([
      { type: "tool", turn: 1, name: "Read", summary: "docs/plans/backend-plan.md" },
    ]);
  });

  it("feeds tool errors and unknown tools back to the model as is_error results", async () => {
    const read = fakeTool("Read", () => {
      throw new Error("file_path is outside the repository");
    });
    const { result, requests } = await run(
      [
        toolUseReply([
          { name: "Read", input: { file_path: "/etc/passwd" } },
          { name: "WebFetch", input: { url: "https://example.com" } },
        ]),
        textReply(SAMPLE_REPORT),
      ],
      { tools: [read.tool] },
    );
    expect(result.stopReason).toBe("completed");
    const results = requests[1]!.messages[2]!.content as Array<Record<string, unknown>>;
    expect(results[0]).toMatchObject({ is_error: true, content: expect.stringContaining("outside the repository") });
    expect(results[1]).toMatchObject({ is_error: true, content: expect.stringContaining("There is no tool named WebFetch") });
  });

  it("places cache breakpoints on the system prompt and the conversation tail only", async () => {
    const read = fakeTool("Read", () => "ok");
    const script: Reply[] = [1, 2, 3].map((n) => toolUseReply([{ name: "Read", input: { file_path: `f${n}` } }]));
    const { requests } = await run([...script, textReply(SAMPLE_REPORT)], { tools: [read.tool] });
    for (const request of requests) {
      expect(request.system?.[0]?.cache_control).toEqual({ type: "ephemeral" });
      const marked = request.messages.flatMap((m, i) =>
        Array.isArray(m.content) ? m.content.flatMap((b, j) => (b.cache_control ? [`${i}.${j}`] : [])) : [],
      );
      const userIndexes = request.messages.flatMap((m, i) => (m.role === "user" ? [i] : []));
      const expected = userIndexes.slice(-2).map((i) => `${i}.${(request.messages[i]!.content as unknown[]).length - 1}`);
      expect(marked).toEqual(expected);
      expect(marked.length + 1).toBeLessThanOrEqual(4);
    }
    // Breakpoints live only in requests: an earlier message is unmarked once it is out of the tail.
    const last = requests.at(-1)!;
    expect((last.messages[0]!.content as Array<Record<string, unknown>>)[0]!.cache_control).toBeUndefined();
  });

  it("cuts long tool output to head and tail with a note", async () => {
    const huge = `HEAD-MARK\n${"x".repeat(200_000)}\nTAIL-MARK`;
    const bash = fakeTool("Bash", () => huge, false);
    const { requests } = await run([toolUseReply([{ name: "Bash", input: { command: "npm test" } }]), textReply(SAMPLE_REPORT)], {
      tools: [bash.tool],
      maxToolOutputChars: 5_000,
    });
    const content = String((requests[1]!.messages[2]!.content as Array<Record<string, unknown>>)[0]!.content);
    expect(content.length).toBeLessThanOrEqual(5_000);
    expect(content.startsWith("HEAD-MARK")).toBe(true);
    expect(content.endsWith("TAIL-MARK")).toBe(true);
    expect(content).toMatch(/planwright cut \d+ characters/);
  });

  it("stops at the turn limit", async () => {
    const read = fakeTool("Read", () => "ok");
    const { result, requests } = await run(() => toolUseReply([{ name: "Read", input: { file_path: "a" } }]), {
      tools: [read.tool],
      limits: { maxTurns: 3, maxCostUsd: 100, maxWallMs: 30_000 },
    });
    expect(result.stopReason).toBe("max_turns");
    expect(result.stopDetail).toBe("the agent used all 3 turns");
    expect(requests).toHaveLength(3);
  });

  it("stops at the cost limit", async () => {
    const read = fakeTool("Read", () => "ok");
    const { result, requests } = await run(
      () => toolUseReply([{ name: "Read", input: { file_path: "a" } }], { usage: { input_tokens: 100_000, output_tokens: 10_000 } }),
      { tools: [read.tool], limits: { maxTurns: 50, maxCostUsd: 1, maxWallMs: 30_000 } },
    );
    // Each turn costs $0.45, so the third turn crosses $1 and no fourth is asked for.
    expect(result.stopReason).toBe("max_cost");
    expect(requests).toHaveLength(3);
    expect(result.costUsd).toBeGreaterThanOrEqual(1);
  });

  it("stops at the token limit", async () => {
    const read = fakeTool("Read", () => "ok");
    const { result } = await run(() => toolUseReply([{ name: "Read", input: { file_path: "a" } }], { usage: { input_tokens: 600, output_tokens: 0 } }), {
      tools: [read.tool],
      limits: { maxTurns: 50, maxCostUsd: 100, maxWallMs: 30_000, maxTotalTokens: 1_000 },
    });
    expect(result.stopReason).toBe("max_tokens_total");
    expect(result.turns).toBe(2);
  });

  it("stops at the wall clock even while the model is answering", async () => {
    const { result } = await run([{ ...textReply(SAMPLE_REPORT), delayMs: 10_000 }], {
      limits: { maxTurns: 5, maxCostUsd: 5, maxWallMs: 300 },
    });
    expect(result.stopReason).toBe("wall_clock");
    expect(result.durationMs).toBeLessThan(5_000);
  });

  it("asks the model to continue after a max_tokens cut", async () => {
    const { result, requests } = await run([textReply("## Implemented\n- [x] hal", { stopReason: "max_tokens" }), textReply(SAMPLE_REPORT)]);
    expect(result.stopReason).toBe("completed");
    const nudge = requests[1]!.messages.at(-1)!;
    expect(JSON.stringify(nudge.content)).toMatch(/hit the output limit/);
  });

  it("keeps both halves of a report cut at the output limit, joined where it was cut", async () => {
    const { result } = await run([
      textReply("## Implemented\n- [x] GET /hea", { stopReason: "max_tokens" }),
      textReply("lth endpoint\n\n## Tests\n- [x] npm test\n\n## Promises Verified\n- [x] ok\n\n## Notes\n- None"),
    ]);
    expect(result.finalText).toMatch(/^## Implemented\n- \[x\] GET \/health endpoint\n\n## Tests/);
  });

  it("runs no tool call from a reply cut at the output limit, and says why", async () => {
    const edit = fakeTool("Edit", () => "edited");
    const cut = toolUseReply([{ name: "Edit", input: { file_path: "a.js", old_string: "", new_string: "half a fi" } }]);
    (cut.body as { stop_reason: string }).stop_reason = "max_tokens";
    const { result, requests } = await run([cut, textReply(SAMPLE_REPORT)], { tools: [edit.tool] });
    expect(edit.calls).toHaveLength(0);
    expect(result.stopReason).toBe("completed");
    expect(JSON.stringify(requests[1]!.messages.at(-1)!.content)).toMatch(/Not run: your reply hit the output limit/);
    // The next reply is a fresh one, not a continuation of the cut call.
    expect(result.finalText).toBe(SAMPLE_REPORT);
  });

  it("leaves a long Read whole up to Read's own stop, instead of cutting its middle", async () => {
    const lines = Array.from({ length: 1800 }, (_, i) => `line ${i + 1} ${"x".repeat(30)}`).join("\n");
    const { requests } = await run(
      async (_request, index) => {
        if (index === 0) {
          await writeFile(path.join(dir!, "big.txt"), `${lines}\n`);
          return toolUseReply([{ name: "Read", input: { file_path: "big.txt" } }]);
        }
        return textReply(SAMPLE_REPORT);
      },
      { tools: [createReadTool()] },
    );
    const result = JSON.stringify(requests[1]!.messages.at(-1)!.content);
    expect(result.length).toBeGreaterThan(30_000);
    expect(result).not.toContain("planwright cut");
    expect(result).toContain("line 900 ");
    expect(result).toContain("line 1800 ");
  });

  it("retries 529 and 500 through the SDK, then succeeds", async () => {
    const { result, requests } = await run([errorReply(529, "overloaded_error"), errorReply(500, "api_error"), textReply(SAMPLE_REPORT)]);
    expect(result.stopReason).toBe("completed");
    expect(requests).toHaveLength(3);
  });

  it("switches to the fallback model when the main one stays unavailable", async () => {
    const events: AgentEvent[] = [];
    const { result, requests } = await run(
      (request) => (request.model === "claude-haiku-4-5" ? textReply(SAMPLE_REPORT, { model: "claude-haiku-4-5" }) : errorReply(529, "overloaded_error")),
      { fallbackModel: "claude-haiku-4-5", onEvent: (e) => events.push(e) },
    );
    expect(result.stopReason).toBe("completed");
    expect(result.model).toBe("claude-haiku-4-5");
    expect(requests.map((r) => r.model)).toEqual(["claude-sonnet-5-5", "claude-sonnet-5-5", "claude-sonnet-5-5", "claude-haiku-4-5"]);
    expect(events.find((e) => e.type === "fallback")).toMatchObject({ from: "claude-sonnet-5-5", to: "claude-haiku-4-5" });
  });

  it("ends with a model_error a person can act on when the API stays down", async () => {
    const { result } = await run([errorReply(529, "overloaded_error")]);
    expect(result.stopReason).toBe("model_error");
    expect(result.stopDetail).toMatch(/HTTP 529: the model is overloaded/);
  });

  it("explains a rejected API key without retrying", async () => {
    const { result, requests } = await run([errorReply(401, "authentication_error")], { fallbackModel: "claude-haiku-4-5" });
    expect(result.stopReason).toBe("model_error");
    expect(result.stopDetail).toMatch(/API key was rejected/);
    expect(requests).toHaveLength(1);
  });

  it("stops within moments when cancelled during a tool call", async () => {
    const controller = new AbortController();
    const slow = fakeTool("Bash", (_input, signal) => {
      setTimeout(() => controller.abort(new Error("stopped by @octocat")), 50);
      return new Promise<string>((_resolve, reject) => signal.addEventListener("abort", () => reject(new Error("killed"))));
    }, false);
    const started = Date.now();
    const { result, requests } = await run(() => toolUseReply([{ name: "Bash", input: { command: "sleep 600" } }]), {
      tools: [slow.tool],
      signal: controller.signal,
    });
    expect(result.stopReason).toBe("cancelled");
    expect(result.stopDetail).toBe("stopped by @octocat");
    expect(requests).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("stops when cancelled while waiting for the model", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("stopped by @octocat")), 100);
    const { result } = await run([{ ...textReply(SAMPLE_REPORT), delayMs: 10_000 }], { signal: controller.signal });
    expect(result.stopReason).toBe("cancelled");
  });

  it("writes every request and response to a transcript with secrets redacted", async () => {
    const leak = fakeTool("Bash", () => "token=ghs_abcdefghijklmnopqrstuvwxyz0123456789ABCD", false);
    const transcriptDir = await mkdtemp(path.join(os.tmpdir(), "pw-transcript-"));
    const file = path.join(transcriptDir, "run.jsonl");
    const transcript = createJsonlTranscript(file, "run-1", (text) => text.replace(/ghs_[A-Za-z0-9]+/g, "[REDACTED]"));
    await run([toolUseReply([{ name: "Bash", input: { command: "env" } }]), textReply(SAMPLE_REPORT)], { tools: [leak.tool], transcript });
    await transcript.close();
    const lines = (await readFile(file, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    await rm(transcriptDir, { recursive: true, force: true });
    expect(lines.map((l) => l.type)).toEqual(["request", "response", "tool_call", "tool_result", "request", "response", "event"]);
    expect(lines.every((l) => l.runId === "run-1")).toBe(true);
    const text = JSON.stringify(lines);
    expect(text).not.toContain("ghs_abcdefghij");
    expect(text).toContain("[REDACTED]");
  });

  it("runs consecutive read-only calls together and keeps result order", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const read = fakeTool("Read", async (input) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 50));
      inFlight--;
      return `read ${String(input.file_path)}`;
    });
    const { requests } = await run(
      [toolUseReply(["a", "b", "c"].map((f) => ({ name: "Read", input: { file_path: f } }))), textReply(SAMPLE_REPORT)],
      { tools: [read.tool] },
    );
    expect(maxInFlight).toBe(3);
    const results = requests[1]!.messages[2]!.content as Array<Record<string, unknown>>;
    expect(results.map((r) => r.content)).toEqual(["read a", "read b", "read c"]);
  });
});
