import { describe, expect, it } from "vitest";
import { OUTPUT_END_BYTES, OutputCollector } from "../../src/sandbox/output-collector.js";
import { parseStat } from "../../src/sandbox/process-table.js";

describe("OutputCollector", () => {
  it("keeps a multi-byte character split across chunks intact", () => {
    const collector = new OutputCollector(1024);
    const bytes = Buffer.from("héllo → wörld");
    collector.push("stdout", bytes.subarray(0, 2));
    collector.push("stdout", bytes.subarray(2, 9));
    collector.push("stdout", bytes.subarray(9));
    expect(collector.finish()).toEqual({ stdout: "héllo → wörld", stderr: "", output: "héllo → wörld", truncated: false, outputEnd: "" });
  });

  it("counts the cap per stream and holds no more than the cap however much arrives", () => {
    const collector = new OutputCollector(10);
    for (let i = 0; i < 1000; i++) collector.push("stdout", Buffer.alloc(1024 * 1024, "a"));
    collector.push("stderr", Buffer.from("err"));
    const result = collector.finish();
    expect(result).toMatchObject({ stdout: "aaaaaaaaaa", stderr: "err", output: "aaaaaaaaaaerr", truncated: true });
    // The end is kept apart, bounded however much arrived.
    expect(result.outputEnd.length).toBeLessThanOrEqual(OUTPUT_END_BYTES);
    expect(result.outputEnd.endsWith("aaaerr")).toBe(true);
  });

  it("keeps the end of a long run's output apart, where the failing test and the summary are", () => {
    const collector = new OutputCollector(1000);
    for (let i = 1; i <= 20_000; i++) collector.push("stdout", Buffer.from(`test ${i} ok\n`));
    collector.push("stderr", Buffer.from("1 failing: test 20001\n"));
    const { output, outputEnd } = collector.finish();
    expect(output).toMatch(/^test 1 ok\n/);
    expect(output).not.toContain("test 20000 ok");
    expect(outputEnd).toMatch(/^test \d+ ok\n/);
    expect(outputEnd.endsWith("test 20000 ok\n1 failing: test 20001\n")).toBe(true);
  });

  it("keeps no separate end when nothing was dropped", () => {
    const collector = new OutputCollector(1024);
    collector.push("stdout", Buffer.from("short\n"));
    expect(collector.finish().outputEnd).toBe("");
  });

  it("is not truncated at exactly the cap", () => {
    const collector = new OutputCollector(4);
    collector.push("stdout", Buffer.from("abcd"));
    expect(collector.finish().truncated).toBe(false);
  });
});

describe("parseStat", () => {
  it("reads a command name containing spaces and parentheses", () => {
    const line = "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
    expect(parseStat(line)).toEqual({ pid: 4242, ppid: 1, pgid: 4242, startTime: "987654", state: "S" });
  });

  it("rejects a truncated line", () => {
    expect(parseStat("12 (x) S 1")).toBeUndefined();
  });
});
