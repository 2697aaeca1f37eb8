import { describe, expect, it } from "vitest";
import { parseReport } from "../../src/report/parse-report.js";
import { capMarkdown, renderReport } from "../../src/report/render-report.js";

const CANONICAL = [
  "## Implemented",
  "- [x] What you built",
  "",
  "## Tests",
  "- [x] Tests written and passing",
  "",
  "## Promises Verified",
  "- [x] Which promises from intent this protects",
  "",
  "## Notes",
  "- Any concerns or decisions made",
].join("\n");

describe("renderReport", () => {
  it("renders a complete report back to exactly the canonical text", () => {
    expect(renderReport(parseReport(CANONICAL))).toBe(CANONICAL);
    expect(renderReport(parseReport(`${CANONICAL}\n`))).toBe(CANONICAL);
  });

  it("puts a loosely written report into the exact format", () => {
    const loose = [
      "Done! Summary below.",
      "```markdown",
      "### implemented:",
      "- [x] What you built",
      "### TESTS",
      "- [x] Tests written and passing",
      "### Promises verified",
      "- [x] Which promises from intent this protects",
      "### Notes:",
      "- Any concerns or decisions made",
      "```",
    ].join("\r\n");
    expect(renderReport(parseReport(loose))).toBe(CANONICAL);
  });

  it("puts sections back in report order", () => {
    const shuffled = "## Notes\n- Any concerns or decisions made\n## Tests\n- [x] Tests written and passing\n## Implemented\n- [x] What you built\n## Promises Verified\n- [x] Which promises from intent this protects";
    expect(renderReport(parseReport(shuffled))).toBe(CANONICAL);
  });

  it("flags a missing section under its heading instead of inventing it", () => {
    const withoutTests = CANONICAL.replace("## Tests\n- [x] Tests written and passing\n\n", "");
    expect(renderReport(parseReport(withoutTests))).toBe(
      CANONICAL.replace("- [x] Tests written and passing", '_The agent\'s report has no "Tests" section._'),
    );
  });

  it("flags an empty section", () => {
    const rendered = renderReport(parseReport(CANONICAL.replace("- Any concerns or decisions made", "")));
    expect(rendered.endsWith('## Notes\n_The agent\'s "Notes" section is empty._')).toBe(true);
  });

  it("keeps extra sections after the four, in order", () => {
    const rendered = renderReport(parseReport(`## Summary\nShort.\n\n${CANONICAL}\n\n## Follow-ups\n- Metrics\n\n## Risks`));
    expect(rendered).toBe(`${CANONICAL}\n\n## Summary\nShort.\n\n## Follow-ups\n- Metrics\n\n## Risks`);
  });

  it("does not render the model's chatter before the report", () => {
    expect(renderReport(parseReport(`Let me write the report now.\n\n${CANONICAL}`))).toBe(CANONICAL);
  });

  it("shows the agent's whole message, labelled, when it has no report sections at all", () => {
    const rendered = renderReport(parseReport("I stopped: the plan file is missing."));
    expect(rendered).toBe(
      [
        "## Implemented",
        '_The agent\'s report has no "Implemented" section._',
        "",
        "## Tests",
        '_The agent\'s report has no "Tests" section._',
        "",
        "## Promises Verified",
        '_The agent\'s report has no "Promises Verified" section._',
        "",
        "## Notes",
        '_The agent\'s report has no "Notes" section._',
        "",
        "## The agent's final message",
        "_Not in the report format; shown as written._",
        "",
        "I stopped: the plan file is missing.",
      ].join("\n"),
    );
  });

  it("closes a fence left open in a section so the next heading still renders", () => {
    const report = parseReport(CANONICAL);
    const implemented = report.sections.implemented;
    expect(implemented).not.toBeNull();
    if (implemented) report.sections.implemented = { ...implemented, body: "- [x] a\n````ts\nunclosed" };
    expect(renderReport(report)).toContain("## Implemented\n- [x] a\n````ts\nunclosed\n````\n\n## Tests\n");
  });

  it("is stable: rendering a rendered report changes nothing", () => {
    const once = renderReport(parseReport(`chatter\n## tests:\n- [ ] x\n## Extra\nbody`));
    expect(renderReport(parseReport(once))).toBe(once);
  });
});

describe("capMarkdown", () => {
  const NOTE = "_Cut to fit._";

  it("returns text that fits unchanged", () => {
    expect(capMarkdown("short", 5, NOTE)).toBe("short");
  });

  it("cuts at a line boundary and appends the note", () => {
    const text = Array.from({ length: 50 }, (_, index) => `line ${index}`).join("\n");
    const capped = capMarkdown(text, 100, NOTE);
    expect(capped.length).toBeLessThanOrEqual(100);
    expect(capped.endsWith(`\n\n${NOTE}`)).toBe(true);
    const kept = capped.slice(0, -`\n\n${NOTE}`.length).split("\n");
    expect(kept).toEqual(text.split("\n").slice(0, kept.length));
  });

  it("closes a code fence the cut leaves open, so the note is not code", () => {
    const text = `## Notes\nintro\n\n\`\`\`ts\n${"const x = 1;\n".repeat(200)}\`\`\`\n\nafter`;
    const capped = capMarkdown(text, 500, NOTE);
    expect(capped.length).toBeLessThanOrEqual(500);
    expect(capped.endsWith(`const x = 1;\n\`\`\`\n\n${NOTE}`)).toBe(true);
  });

  it("closes longer and tilde fences with their own marker", () => {
    expect(capMarkdown(`\`\`\`\`md\n${"```\n".repeat(100)}`, 120, NOTE)).toMatch(/\n````\n\n_Cut to fit\._$/);
    expect(capMarkdown(`~~~\n${"x\n".repeat(100)}`, 60, NOTE)).toMatch(/x\n~~~\n\n_Cut to fit\._$/);
  });

  it("adds no fence when the cut falls outside one", () => {
    const text = `\`\`\`\ncode\n\`\`\`\n${"prose line\n".repeat(100)}`;
    const capped = capMarkdown(text, 200, NOTE);
    expect(capped.match(/```/g)).toHaveLength(2);
  });

  it("closes an open <details> and an open HTML comment", () => {
    expect(capMarkdown(`<details>\n<summary>Log</summary>\n\n${"log\n".repeat(100)}</details>`, 120, NOTE)).toMatch(/log\n<\/details>\n\n_Cut to fit\._$/);
    expect(capMarkdown(`a\n<!-- hidden\n${"x\n".repeat(100)}-->`, 60, NOTE)).toMatch(/x\n-->\n\n_Cut to fit\._$/);
  });

  it("accepts a note that brings its own leading blank line", () => {
    expect(capMarkdown("a\n".repeat(100), 50, `\n\n${NOTE}`).endsWith(`a\n\n${NOTE}`)).toBe(true);
  });

  it("cuts inside a single long line without splitting a surrogate pair", () => {
    const capped = capMarkdown("😀".repeat(100), 30, "n");
    expect(capped.length).toBeLessThanOrEqual(30);
    expect(capped).toBe(`${"😀".repeat(13)}\n\nn`);
  });

  it("stays within maxChars for every size, fence or not", () => {
    const text = [`# Report`, "```js", ...Array.from({ length: 300 }, (_, index) => `console.log(${index});`), "```", ...Array.from({ length: 300 }, (_, index) => `- item ${index}`)].join("\n");
    for (let maxChars = 40; maxChars < text.length; maxChars += 97) {
      const capped = capMarkdown(text, maxChars, NOTE);
      expect(capped.length).toBeLessThanOrEqual(maxChars);
      expect(capped.endsWith(NOTE)).toBe(true);
      // An even number of fence lines: nothing is left open.
      expect((capped.match(/^```/gm) ?? []).length % 2).toBe(0);
    }
  });

  it("returns just the note, shortened, when even the note does not fit", () => {
    expect(capMarkdown("x".repeat(100), 5, "a long note")).toBe("a lon");
  });

  it("keeps a 60,000-character pull request body cap with a huge report", () => {
    const report = renderReport(parseReport(`## Implemented\n${"- [x] thing\n".repeat(20_000)}## Notes\n- n`));
    const capped = capMarkdown(report, 60_000, NOTE);
    expect(report.length).toBeGreaterThan(60_000);
    expect(capped.length).toBeLessThanOrEqual(60_000);
    expect(capped.startsWith("## Implemented\n- [x] thing\n")).toBe(true);
  });
});
