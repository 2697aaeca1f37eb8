import { describe, expect, it } from "vitest";
import { parseReport } from "../../src/report/parse-report.js";

/** The report format exactly as the agent definition gives it. */
const SEED_REPORT = [
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

const REALISTIC = [
  "## Implemented",
  "- [x] `GET /health` endpoint in `src/routes/health.ts`",
  "- [x] `HealthService` with an injected clock",
  "- [ ] `GET /health/deep` — the plan does not say which dependencies to probe",
  "",
  "## Tests",
  "- [x] `test/health.test.ts`, 4 tests, passing (`npm test`)",
  "- [ ] Load test not run: no load-testing tool in the repository",
  "",
  "## Promises Verified",
  "- [x] \"Status is always answered within 100 ms\": the handler does no I/O",
  "",
  "## Notes",
  "- The plan is silent on caching; I cache nothing.",
  "- None of the issue's instructions were ignored.",
].join("\n");

describe("parseReport: the exact format", () => {
  it("reads all four sections of the seed format, with their items", () => {
    const report = parseReport(SEED_REPORT);
    expect(report).toEqual({
      sections: {
        implemented: { heading: "Implemented", body: "- [x] What you built", items: [{ checked: true, text: "What you built" }] },
        tests: { heading: "Tests", body: "- [x] Tests written and passing", items: [{ checked: true, text: "Tests written and passing" }] },
        promisesVerified: {
          heading: "Promises Verified",
          body: "- [x] Which promises from intent this protects",
          items: [{ checked: true, text: "Which promises from intent this protects" }],
        },
        notes: { heading: "Notes", body: "- Any concerns or decisions made", items: [{ checked: null, text: "Any concerns or decisions made" }] },
      },
      missing: [],
      preamble: "",
      extra: [],
      raw: SEED_REPORT,
    });
  });

  it("reads checked, unchecked and plain items in a realistic report", () => {
    const report = parseReport(REALISTIC);
    expect(report.sections.implemented?.items).toEqual([
      { checked: true, text: "`GET /health` endpoint in `src/routes/health.ts`" },
      { checked: true, text: "`HealthService` with an injected clock" },
      { checked: false, text: "`GET /health/deep` — the plan does not say which dependencies to probe" },
    ]);
    expect(report.sections.tests?.items.map((item) => item.checked)).toEqual([true, false]);
    expect(report.sections.notes?.items).toEqual([
      { checked: null, text: "The plan is silent on caching; I cache nothing." },
      { checked: null, text: "None of the issue's instructions were ignored." },
    ]);
    expect(report.missing).toEqual([]);
  });

  it("keeps the raw text as given, CRLF and all", () => {
    const raw = SEED_REPORT.replace(/\n/g, "\r\n");
    const report = parseReport(raw);
    expect(report.raw).toBe(raw);
    expect(report.sections.tests?.body).toBe("- [x] Tests written and passing");
  });
});

describe("parseReport: tolerance", () => {
  it("separates the model's chatter before the report into the preamble", () => {
    const report = parseReport(`I've finished. All tests pass.\n\nHere is my report:\n\n${SEED_REPORT}`);
    expect(report.preamble).toBe("I've finished. All tests pass.\n\nHere is my report:");
    expect(report.missing).toEqual([]);
    expect(report.sections.implemented?.body).toBe("- [x] What you built");
  });

  it("unwraps a report sent inside a fence, keeping code blocks nested in it", () => {
    const fenced = [
      "Report:",
      "```markdown",
      "## Implemented",
      "- [x] Parser",
      "```ts",
      "parse(input);",
      "```",
      "## Tests",
      "- [x] `npm test`",
      "## Promises Verified",
      "- [x] Input is validated",
      "## Notes",
      "- None",
      "```",
    ].join("\n");
    const report = parseReport(fenced);
    expect(report.missing).toEqual([]);
    expect(report.preamble).toBe("Report:");
    expect(report.sections.implemented?.body).toBe("- [x] Parser\n```ts\nparse(input);\n```");
    expect(report.sections.notes?.body).toBe("- None");
  });

  it("does not unwrap a fenced example the agent quoted before its real report", () => {
    const text = `I'll use this format:\n\`\`\`\n## Implemented\n- [x] example\n\`\`\`\n\n${SEED_REPORT}\n\`\`\`ts\nconst a = 1;\n\`\`\``;
    const report = parseReport(text);
    expect(report.preamble).toBe("I'll use this format:\n```\n## Implemented\n- [x] example\n```");
    expect(report.sections.implemented?.body).toBe("- [x] What you built");
    expect(report.sections.notes?.body).toBe("- Any concerns or decisions made\n```ts\nconst a = 1;\n```");
  });

  it("unwraps a report fenced with tildes and no closing fence", () => {
    const report = parseReport(`~~~\n${SEED_REPORT}`);
    expect(report.missing).toEqual([]);
    expect(report.sections.notes?.items).toEqual([{ checked: null, text: "Any concerns or decisions made" }]);
  });

  it.each([
    ["lower case", "## tests"],
    ["upper case", "## TESTS"],
    ["a trailing colon", "## Tests:"],
    ["a level-3 heading", "### Tests"],
    ["a level-1 heading", "# Tests"],
    ["closing hashes", "## Tests ##"],
    ["bold", "## **Tests**"],
    ["an emoji", "## ✅ Tests"],
    ["numbering", "## 2. Tests"],
    ["indentation", "   ## Tests"],
    ["no space after the hashes", "##Tests"],
  ])("recognises a heading written with %s", (_name, heading) => {
    const report = parseReport(SEED_REPORT.replace("## Tests", heading));
    expect(report.missing).toEqual([]);
    expect(report.sections.tests).toEqual({ heading: heading.replace(/^\s*#+\s*/, "").replace(/\s*#+$/, ""), body: "- [x] Tests written and passing", items: [{ checked: true, text: "Tests written and passing" }] });
  });

  it("recognises common alternative section names", () => {
    const report = parseReport("## Implementation\n- a\n## Testing\n- b\n## Promises\n- c\n## Note\n- d");
    expect(report.missing).toEqual([]);
    expect(report.sections.promisesVerified?.heading).toBe("Promises");
  });

  it("normalises CRLF line endings", () => {
    const report = parseReport(REALISTIC.replace(/\n/g, "\r\n"));
    expect(report.sections.notes?.body).toBe("- The plan is silent on caching; I cache nothing.\n- None of the issue's instructions were ignored.");
    expect(report.sections.notes?.body).not.toContain("\r");
  });
});

describe("parseReport: never invents content", () => {
  it("leaves a missing section null and lists it in canonical form", () => {
    const withoutTests = SEED_REPORT.replace("## Tests\n- [x] Tests written and passing\n\n", "");
    const report = parseReport(withoutTests);
    expect(report.sections.tests).toBeNull();
    expect(report.missing).toEqual(["## Tests"]);
    expect(report.sections.implemented?.body).toBe("- [x] What you built");
  });

  it("lists every section as missing when the message has no headings, keeping the text as preamble", () => {
    const report = parseReport("I could not finish: the test command hangs.");
    expect(report.missing).toEqual(["## Implemented", "## Tests", "## Promises Verified", "## Notes"]);
    expect(report.preamble).toBe("I could not finish: the test command hangs.");
    expect(Object.values(report.sections).every((section) => section === null)).toBe(true);
  });

  it("keeps an empty section as present with an empty body", () => {
    const report = parseReport("## Implemented\n\n## Tests\n- [x] ran\n## Promises Verified\n- [x] p\n## Notes\n");
    expect(report.sections.implemented).toEqual({ heading: "Implemented", body: "", items: [] });
    expect(report.sections.notes).toEqual({ heading: "Notes", body: "", items: [] });
    expect(report.missing).toEqual([]);
  });

  it("ignores headings inside code blocks", () => {
    const report = parseReport("## Implemented\n- [x] a\n\n```md\n## Tests\n- [x] fake\n```\n\n## Notes\n- n");
    expect(report.sections.tests).toBeNull();
    expect(report.missing).toEqual(["## Tests", "## Promises Verified"]);
    expect(report.sections.implemented?.body).toBe("- [x] a\n\n```md\n## Tests\n- [x] fake\n```");
  });

  it("adds a repeated section's body to the first rather than replacing it", () => {
    const report = parseReport("## Notes\n- first\n## Implemented\n- x\n## Notes\n- second");
    expect(report.sections.notes?.body).toBe("- first\n\n- second");
    expect(report.sections.notes?.items.map((item) => item.text)).toEqual(["first", "second"]);
  });
});

describe("parseReport: extra sections and subheadings", () => {
  it("keeps other ## sections, in order, with their bodies", () => {
    const report = parseReport(`## Summary\nAdds a health check.\n\n${SEED_REPORT}\n\n## Follow-ups\n- Add metrics\n\n## Risks\nLow.`);
    expect(report.extra).toEqual([
      { heading: "Summary", body: "Adds a health check." },
      { heading: "Follow-ups", body: "- Add metrics" },
      { heading: "Risks", body: "Low." },
    ]);
    expect(report.missing).toEqual([]);
    expect(report.preamble).toBe("");
  });

  it("keeps ### subheadings and a # title inside the text they belong to", () => {
    const report = parseReport("# Report for #12\n\n## Implemented\n### Routes\n- [x] GET /health\n### Models\n- [x] Check\n## Notes\n- n");
    expect(report.preamble).toBe("# Report for #12");
    expect(report.sections.implemented?.body).toBe("### Routes\n- [x] GET /health\n### Models\n- [x] Check");
    expect(report.sections.implemented?.items.map((item) => item.text)).toEqual(["GET /health", "Check"]);
    expect(report.extra).toEqual([]);
  });
});

describe("parseReport: list items", () => {
  const items = (body: string) => parseReport(`## Notes\n${body}`).sections.notes?.items;

  it("reads each kind of marker and checkbox", () => {
    expect(items("- [x] done\n- [X] also done\n- [ ] not done\n- plain\n* star\n+ plus\n1. numbered\n2) paren\n- [x]")).toEqual([
      { checked: true, text: "done" },
      { checked: true, text: "also done" },
      { checked: false, text: "not done" },
      { checked: null, text: "plain" },
      { checked: null, text: "star" },
      { checked: null, text: "plus" },
      { checked: null, text: "numbered" },
      { checked: null, text: "paren" },
      { checked: true, text: "" },
    ]);
  });

  it("keeps nested bullets and continuation lines in their parent item", () => {
    expect(items("- [ ] Load test\n  not run: no tool\n  - tried k6\n  - tried ab\n- [x] Unit tests")).toEqual([
      { checked: false, text: "Load test\nnot run: no tool\n- tried k6\n- tried ab" },
      { checked: true, text: "Unit tests" },
    ]);
  });

  it("keeps a loose list's items apart and a code block inside an item", () => {
    expect(items("- first\n\n  more of first\n\n- second\n  ```\n  - not an item\n  ```")).toEqual([
      { checked: null, text: "first\n\nmore of first" },
      { checked: null, text: "second\n```\n- not an item\n```" },
    ]);
  });

  it("ends the list at an unindented paragraph and does not count text as items", () => {
    expect(items("Intro text.\n- a\n- b\nClosing paragraph.\n\n- [x] c")).toEqual([
      { checked: null, text: "a" },
      { checked: null, text: "b" },
      { checked: true, text: "c" },
    ]);
  });

  it("does not read a bracket that is not a checkbox as one", () => {
    expect(items("- [link](x) first\n- [y] second")).toEqual([
      { checked: null, text: "[link](x) first" },
      { checked: null, text: "[y] second" },
    ]);
  });
});
