import type { AgentRunResult } from "../agent/agent-loop.js";
import { formatDuration } from "../tracking/tracking-comment.js";
import { describeOutcome } from "../verify/run-project-command.js";
import type { CommandOutcome } from "../verify/run-project-command.js";

/** planwright's own verdict, shown next to (never merged into) the agent's claims. */
export function renderVerification(verification: CommandOutcome | null, fixRoundsUsed: number): string {
  if (!verification) {
    return [
      "## Verification by planwright",
      "No test command was configured or detected, so planwright did not run the tests. " +
        "Set `commands.test` in `.github/planwright.yml`.",
    ].join("\n");
  }
  const lines = [
    "## Verification by planwright",
    `${verification.passed ? "✅" : "❌"} \`${verification.command}\` ${describeOutcome(verification)} ` +
      `in ${formatDuration(verification.durationMs)}` +
      (fixRoundsUsed ? ` (after ${fixRoundsUsed} fix round${fixRoundsUsed > 1 ? "s" : ""})` : "") +
      ".",
  ];
  if (!verification.passed && verification.outputTail) {
    lines.push("", "<details><summary>End of the output</summary>", "", "```", verification.outputTail, "```", "", "</details>");
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
