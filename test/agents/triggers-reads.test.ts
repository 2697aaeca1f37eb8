import { describe, expect, it } from "vitest";
import { parseReads, parseTriggers } from "../../src/agents/definition.js";

describe("TRIGGERS", () => {
  it("reads quoted words", () => {
    expect(parseTriggers('OUTPUTS: code\n\nTRIGGERS: "backend", "API", "endpoint"')).toEqual(["backend", "API", "endpoint"]);
  });

  it("reads single, curly and backtick quotes, with or without commas", () => {
    expect(parseTriggers("TRIGGERS: 'db' “schema” `sql` ‘orm’")).toEqual(["db", "schema", "sql", "orm"]);
  });

  it("keeps only quoted items when some are quoted", () => {
    expect(parseTriggers('TRIGGERS: "backend" and "API"')).toEqual(["backend", "API"]);
  });

  it("reads comma- or semicolon-separated words without quotes", () => {
    expect(parseTriggers("Triggers: backend, user's data; API.")).toEqual(["backend", "user's data", "API"]);
  });

  it("accepts a bulleted or bold label and a list on the lines below", () => {
    expect(parseTriggers("- **TRIGGERS:** a, b")).toEqual(["a", "b"]);
    expect(parseTriggers("TRIGGERS:\n  - frontend\n  - UI\nNOTES: x")).toEqual(["frontend", "UI"]);
  });

  it("finds the label mid-line in a description folded onto one line", () => {
    const folded = 'Builds APIs. READS: /docs/plan.md TRIGGERS: "api", "server" OUTPUTS: code';
    expect(parseTriggers(folded)).toEqual(["api", "server"]);
    expect(parseReads(folded)).toEqual(["docs/plan.md"]);
  });

  it("drops duplicates regardless of case", () => {
    expect(parseTriggers('TRIGGERS: "API", "api", "Api", "db"')).toEqual(["API", "db"]);
  });

  it("is empty when there is no TRIGGERS line", () => {
    expect(parseTriggers("Implements things.\nREADS: a.md")).toEqual([]);
  });
});

describe("READS", () => {
  it("makes paths repository-relative", () => {
    expect(parseReads("READS: /docs/plans/backend-plan.md, ./docs/intent.md, notes.md")).toEqual([
      "docs/plans/backend-plan.md",
      "docs/intent.md",
      "notes.md",
    ]);
  });

  it("accepts backticked paths", () => {
    expect(parseReads("READS: `/docs/a.md` and `/docs/b.md`")).toEqual(["docs/a.md", "docs/b.md"]);
  });

  it("is empty when there is no READS line", () => {
    expect(parseReads('TRIGGERS: "x"')).toEqual([]);
  });
});
