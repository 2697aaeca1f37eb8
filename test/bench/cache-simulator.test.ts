import { describe, expect, it } from "vitest";
import { CacheSimulator } from "../../bench/lib/cache-simulator.js";

const big = (tag: string) => ({ type: "text", text: `${tag} ${"x".repeat(8_000)}` });
const mark = <T extends object>(block: T) => ({ ...block, cache_control: { type: "ephemeral" } });

describe("CacheSimulator", () => {
  it("reads the prefix up to a breakpoint that an earlier request cached", () => {
    const sim = new CacheSimulator();
    const first = sim.usageFor({ system: [mark(big("sys"))], messages: [{ role: "user", content: [mark(big("task"))] }] });
    expect(first.cache_read_input_tokens).toBe(0);
    expect(first.cache_creation_input_tokens).toBeGreaterThan(4_000);
    const second = sim.usageFor({
      system: [mark(big("sys"))],
      messages: [
        { role: "user", content: [big("task")] },
        { role: "assistant", content: [{ type: "text", text: "ok" }] },
        { role: "user", content: [mark(big("more"))] },
      ],
    });
    expect(second.cache_read_input_tokens).toBe(first.cache_creation_input_tokens);
    expect(second.input_tokens).toBe(0);
  });

  it("misses when anything before the breakpoint changed", () => {
    const sim = new CacheSimulator();
    sim.usageFor({ system: [mark(big("sys"))], messages: [{ role: "user", content: [mark(big("task"))] }] });
    const changed = sim.usageFor({ system: [mark(big("SYS"))], messages: [{ role: "user", content: [mark(big("task"))] }] });
    expect(changed.cache_read_input_tokens).toBe(0);
  });

  it("caches nothing without breakpoints or below the minimum length", () => {
    const sim = new CacheSimulator();
    const request = { messages: [{ role: "user", content: [big("task")] }] };
    sim.usageFor(request);
    expect(sim.usageFor(request).cache_read_input_tokens).toBe(0);
    const small = { messages: [{ role: "user", content: [mark({ type: "text", text: "tiny" })] }] };
    sim.usageFor(small);
    expect(sim.usageFor(small)).toMatchObject({ cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
  });

  it("finds an earlier entry only within 20 blocks before a breakpoint", () => {
    const sim = new CacheSimulator();
    const head = { role: "user", content: [mark(big("task"))] };
    sim.usageFor({ messages: [head] });
    const filler = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ role: i % 2 === 0 ? "assistant" : "user", content: [{ type: "text", text: `t${i}` }] }));
    const within = sim.usageFor({ messages: [{ role: "user", content: [big("task")] }, ...filler(19), { role: "user", content: [mark({ type: "text", text: "end" })] }] });
    expect(within.cache_read_input_tokens).toBeGreaterThan(0);
    const beyond = new CacheSimulator();
    beyond.usageFor({ messages: [head] });
    const far = beyond.usageFor({ messages: [{ role: "user", content: [big("task")] }, ...filler(30), { role: "user", content: [mark({ type: "text", text: "end" })] }] });
    expect(far.cache_read_input_tokens).toBe(0);
  });
});
