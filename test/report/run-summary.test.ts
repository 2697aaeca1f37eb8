import { describe, expect, it } from "vitest";
import type { AgentRunResult } from "../../src/agent/agent-loop.js";
import { EMPTY_USAGE } from "../../src/agent/pricing.js";
import { parseReport } from "../../src/report/parse-report.js";
import { demoteHeadings, renderIterationSection, renderPullRequestBody } from "../../src/report/pull-request-body.js";
import { renderVerification, toVerification } from "../../src/report/run-summary.js";
import type { CommandOutcome } from "../../src/verify/run-project-command.js";
import { SAMPLE_REPORT } from "../helpers/scripted-model.js";

const NO_COMMAND = /No test command was configured or detected/;

const FAILED: CommandOutcome = { command: "npm test", passed: false, exitCode: 1, timedOut: false, cancelled: false, durationMs: 3_000, outputTail: "1 failing" };

function agent(stopReason: AgentRunResult["stopReason"], stopDetail = "done"): AgentRunResult {
  return { finalText: SAMPLE_REPORT, stopReason, stopDetail, turns: 3, usage: EMPTY_USAGE, costUsd: 0.1, costIsEstimate: false, durationMs: 60_000, model: "claude-sonnet-5-5", messages: [] };
}

describe("toVerification", () => {
  it("tells an early stop from a repository without a test command", () => {
    expect(toVerification(null, "model_error")).toEqual({ kind: "stopped_early", reason: "model_error" });
    expect(toVerification(null, "cancelled")).toEqual({ kind: "stopped_early", reason: "cancelled" });
    expect(toVerification(null, "completed")).toEqual({ kind: "no_test_command" });
    expect(toVerification(null, "max_turns")).toEqual({ kind: "no_test_command" });
    expect(toVerification(FAILED, "max_turns")).toEqual({ kind: "ran", outcome: FAILED });
  });

  it("takes a test run after a model error as the verdict, and one before a cancelled round as earlier", () => {
    // After a model error the tests run on the final work: that outcome is the verdict.
    expect(toVerification(FAILED, "model_error")).toEqual({ kind: "ran", outcome: FAILED });
    expect(toVerification(FAILED, "cancelled")).toEqual({ kind: "stopped_early", reason: "cancelled", earlier: FAILED });
  });
});

describe("renderVerification", () => {
  it("says a model error stopped the run, not that no test command exists", () => {
    const text = renderVerification({ kind: "stopped_early", reason: "model_error" }, 0);
    expect(text).not.toMatch(NO_COMMAND);
    expect(text).not.toContain("commands.test");
    expect(text).toContain("## Verification by planwright\n⚠️ Not verified: the agent stopped early because of a model error");
  });

  it("says a cancelled run was not verified", () => {
    const text = renderVerification({ kind: "stopped_early", reason: "cancelled" }, 0);
    expect(text).not.toMatch(NO_COMMAND);
    expect(text).toContain("Not verified: the run was cancelled");
  });

  it("names the last run as predating the fix round the agent stopped in", () => {
    const text = renderVerification({ kind: "stopped_early", reason: "model_error", earlier: FAILED }, 1);
    expect(text).toContain("Not verified");
    expect(text).toContain("Before fix round 1, `npm test` failed with exit code 1.");
    expect(text).not.toContain("after 1 fix round");
  });

  it("keeps the configuration hint for a repository without a test command", () => {
    expect(renderVerification({ kind: "no_test_command" }, 0)).toMatch(NO_COMMAND);
  });

  it("renders a test run's outcome as before", () => {
    const text = renderVerification({ kind: "ran", outcome: FAILED }, 2);
    expect(text).toContain("❌ `npm test` failed with exit code 1 in 3s (after 2 fix rounds).");
    expect(text).toContain("1 failing");
  });
});

describe("pull request body verification", () => {
  const base = {
    report: parseReport(SAMPLE_REPORT),
    fixRoundsUsed: 0,
    droppedPaths: [],
    protectedPaths: [],
    agentName: "backend-engineer",
    runId: "0123456789abcdef",
    missingDocs: [],
    at: "2030-01-01T00:00:00.000Z",
  };

  it("says a model error stopped verification, not that there is no test command", () => {
    const body = renderPullRequestBody({
      ...base,
      issueNumber: 12,
      verification: toVerification(null, "model_error"),
      agent: agent("model_error", "the model API failed: 500"),
    });
    expect(body).not.toMatch(NO_COMMAND);
    expect(body).toContain("Not verified: the agent stopped early because of a model error");
    expect(renderPullRequestBody({ ...base, issueNumber: 12, verification: { kind: "no_test_command" }, agent: agent("completed") })).toMatch(NO_COMMAND);
  });

  it("renders an iteration stopped by cancellation as not verified", () => {
    const section = renderIterationSection({
      ...base,
      iteration: 2,
      verification: { kind: "stopped_early", reason: "cancelled" },
      agent: agent("cancelled", "stopped by @alice"),
      commitSha: "abcdef0123456",
    });
    expect(section).not.toMatch(NO_COMMAND);
    expect(section).toContain("### Verification by planwright\n⚠️ Not verified: the run was cancelled");
  });
});

describe("demoteHeadings", () => {
  it("moves report headings under an iteration's heading, but not lines inside code blocks", () => {
    const text = ["## Implemented", "- [x] a README section:", "", "```markdown", "## Usage", "```", "", "## Notes", "- None"].join("\n");
    expect(demoteHeadings(text).split("\n")).toEqual(["### Implemented", "- [x] a README section:", "", "```markdown", "## Usage", "```", "", "### Notes", "- None"]);
  });
});
