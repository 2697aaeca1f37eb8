import type { AgentRunResult, StopReason } from "../agent/agent-loop.js";
import { formatDuration } from "../tracking/tracking-comment.js";
import { describeOutcome } from "../verify/run-project-command.js";
import type { CommandOutcome } from "../verify/run-project-command.js";

/** Why planwright has no test verdict of its own when the agent stopped early. */
export type EarlyStop = "cancelled" | "model_error";

/**
 * planwright's own test run, or why there was none. "Not run" is spelled out
 * so that a run cut short never reads as a repository without tests.
 */
export type Verification =
  | { kind: "ran"; outcome: CommandOutcome }
  | { kind: "no_test_command" }
  /** `earlier` is a run from before the fix round the agent stopped in: it did not check the final code. */
  | { kind: "stopped_early"; reason: EarlyStop; earlier?: CommandOutcome };

/**
 * Reads the test outcome together with how the agent stopped. After a
 * cancellation planwright runs no tests, so an outcome beside it can only
 * predate the round the agent stopped in. After a model error the tests do
 * run, on the final work; only when they could not is it "stopped early".
 */
export function toVerification(outcome: CommandOutcome | null, stop: StopReason): Verification {
  if (stop === "cancelled") return { kind: "stopped_early", reason: stop, ...(outcome ? { earlier: outcome } : {}) };
  if (outcome) return { kind: "ran", outcome };
  return stop === "model_error" ? { kind: "stopped_early", reason: stop } : { kind: "no_test_command" };
}

const HEADING = "## Verification by planwright";

/** planwright's own verdict, shown next to (never merged into) the agent's claims. */
export function renderVerification(verification: Verification, fixRoundsUsed: number): string {
  switch (verification.kind) {
    case "no_test_command":
      return [
        HEADING,
        "No test command was configured or detected, so planwright did not run the tests. " +
          "Set `commands.test` in `.github/planwright.yml`.",
      ].join("\n");
    case "stopped_early":
      return [HEADING, stoppedEarlyLine(verification.reason, verification.earlier, fixRoundsUsed)].join("\n");
    case "ran":
      return renderOutcome(verification.outcome, fixRoundsUsed);
  }
}

const EARLY_STOP_CAUSES: Record<EarlyStop, string> = {
  model_error: "the agent stopped early because of a model error",
  cancelled: "the run was cancelled",
};

function stoppedEarlyLine(reason: EarlyStop, earlier: CommandOutcome | undefined, fixRoundsUsed: number): string {
  const line = `⚠️ Not verified: ${EARLY_STOP_CAUSES[reason]}, so planwright did not run the tests on this work.`;
  if (!earlier) return line;
  const round = fixRoundsUsed ? `fix round ${fixRoundsUsed}` : "the agent's last round";
  return `${line} Before ${round}, \`${earlier.command}\` ${describeOutcome(earlier)}.`;
}

function renderOutcome(outcome: CommandOutcome, fixRoundsUsed: number): string {
  const lines = [
    HEADING,
    `${outcome.passed ? "✅" : "❌"} \`${outcome.command}\` ${describeOutcome(outcome)} ` +
      `in ${formatDuration(outcome.durationMs)}` +
      (fixRoundsUsed ? ` (after ${fixRoundsUsed} fix round${fixRoundsUsed > 1 ? "s" : ""})` : "") +
      ".",
  ];
  if (!outcome.passed && outcome.outputTail) {
    lines.push("", "<details><summary>End of the output</summary>", "", "```", outcome.outputTail, "```", "", "</details>");
  }
  return lines.join("\n");
}

export function renderFigures(agent: AgentRunResult): string {
  const u = agent.usage;
  const input = u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens;
  const cached = input > 0 ? Math.round((u.cacheReadTokens / input) * 100) : 0;
  return [
    `${agent.turns} turns`,
    `${formatTokens(input)} input tokens (${cached}% from cache)`,
    `${formatTokens(u.outputTokens)} output tokens`,
    `${agent.costIsEstimate ? "~" : ""}$${agent.costUsd.toFixed(2)}`,
    formatDuration(agent.durationMs),
    `\`${agent.model}\``,
  ].join(" · ");
}

export function formatTokens(n: number): string {
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  if (n >= 1_000) return `${(n / 1_000).toFixed(1)}k`;
  return String(n);
}
