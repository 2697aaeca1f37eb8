import { describe, expect, it } from "vitest";
import { iterationMarker } from "../../src/report/pull-request-body.js";
import { SHORTENED_NOTE, shortenOldestFirst } from "../../src/report/shorten-oldest-first.js";

const AT = (n: number) => new Date(Date.UTC(2030, 0, 1, n)).toISOString();

/** A first publish and its revise rounds, shaped as planwright writes them. */
function body(sizes: number[]): { text: string; parts: string[] } {
  const [first, ...rest] = sizes;
  const parts = [`## Implemented\n${"- [x] first thing\n".repeat(first! / 18)}\n## Verification by planwright\n✅ ok\n\nCloses #12\n\n<sub>run</sub>\n\n${iterationMarker(1, AT(1))}`];
  rest.forEach((size, index) => {
    const n = index + 2;
    parts.push(`---\n\n## Iteration ${n}\n\nCommit abc${n}.\n\n### Implemented\n${`- [x] round ${n} thing\n`.repeat(size / 20)}\n<sub>run</sub>\n\n${iterationMarker(n, AT(n))}`);
  });
  return { text: parts.join("\n\n"), parts };
}

function markers(text: string): string[] {
  return [...text.matchAll(/<!-- planwright:iteration (\d+) at=([^ ]+) -->/g)].map((m) => `${m[1]}@${m[2]}`);
}

describe("shortenOldestFirst", () => {
  it("returns a body that fits unchanged", () => {
    const { text } = body([1_000, 1_000]);
    expect(shortenOldestFirst(text, text.length)).toBe(text);
  });

  it("shortens the first publish before any iteration, keeping every marker and Closes #n", () => {
    const { text, parts } = body([50_000, 15_000]);
    const fitted = shortenOldestFirst(text, 40_000);
    expect(fitted.length).toBeLessThanOrEqual(40_000);
    expect(fitted.endsWith(parts[1]!)).toBe(true);
    expect(markers(fitted)).toEqual([`1@${AT(1)}`, `2@${AT(2)}`]);
    expect(fitted).toContain("Closes #12");
    expect(fitted).toContain(SHORTENED_NOTE);
    expect(fitted.startsWith("## Implemented\n- [x] first thing\n")).toBe(true);
  });

  it("goes on to the oldest iterations and leaves the newest whole", () => {
    const { text, parts } = body([30_000, 18_000, 18_000, 18_000]);
    const fitted = shortenOldestFirst(text, 40_000);
    expect(fitted.length).toBeLessThanOrEqual(40_000);
    expect(markers(fitted)).toEqual([1, 2, 3, 4].map((n) => `${n}@${AT(n)}`));
    expect(fitted.endsWith(parts[3]!)).toBe(true);
    // The shortened iteration keeps its heading, so a reader sees which round was cut.
    expect(fitted).toMatch(/## Iteration 2\n\nCommit abc2\.[\s\S]*_Shortened to fit/);
    expect(fitted.match(/Closes #12/g)).toHaveLength(1);
  });

  it("keeps the markers, each on its own line, when every part is cut to almost nothing", () => {
    const { text } = body([20_000, 20_000, 20_000]);
    const fitted = shortenOldestFirst(text, 1_000);
    expect(fitted.length).toBeLessThanOrEqual(1_000);
    expect(markers(fitted)).toEqual([1, 2, 3].map((n) => `${n}@${AT(n)}`));
    expect(fitted).toMatch(/^<!-- planwright:iteration 2 at=[^\n]+ -->$/m);
  });

  it("keeps the newest markers when there are too many for the room", () => {
    const { text } = body(Array.from({ length: 40 }, () => 200));
    const fitted = shortenOldestFirst(text, 2_000);
    expect(fitted.length).toBeLessThanOrEqual(2_000);
    expect(markers(fitted).at(-1)).toBe(`40@${AT(40)}`);
  });
});
