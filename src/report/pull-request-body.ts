import type { AgentRunResult } from "../agent/agent-loop.js";
import { scanFences } from "./parse-report.js";
import type { AgentReport } from "./parse-report.js";
import { capMarkdown, renderReport } from "./render-report.js";
import { renderFigures, renderVerification } from "./run-summary.js";
import type { Verification } from "./run-summary.js";
import { neutralizeReferences } from "../security/neutralize-references.js";

/** GitHub refuses bodies over 65,536 characters; stay well under it. */
export const MAX_PR_BODY_CHARS = 60_000;

export interface PullRequestBodyInput {
  report: AgentReport;
  verification: Verification;
  fixRoundsUsed: number;
  droppedPaths: readonly string[];
  protectedPaths: readonly string[];
  /** The issue this closes; null for runs without one. */
  issueNumber: number | null;
  agent: AgentRunResult;
  agentName: string;
  runId: string;
  missingDocs: readonly string[];
  /** When this iteration was published (ISO); feedback after it belongs to the next one. */
  at: string;
}

/** Hidden in the body: how many iterations there were and when the last one landed. */
export function iterationMarker(iteration: number, at: string): string {
  return `<!-- planwright:iteration ${iteration} at=${at} -->`;
}

/**
 * The pull request body: the agent's report first (its words), then what
 * planwright itself observed, then the figures. Only the report is cut when
 * the whole is too long, so the verdict and `Closes #n` always survive.
 */
export function renderPullRequestBody(input: PullRequestBodyInput): string {
  const tail: string[] = [];
  if (input.agent.stopReason !== "completed") {
    tail.push(`> [!WARNING]\n> The agent did not finish: ${input.agent.stopDetail}. This pull request holds its partial work.`);
  }
  tail.push(renderVerification(input.verification, input.fixRoundsUsed));
  if (input.missingDocs.length) {
    tail.push(`**Missing documents:** ${input.missingDocs.map((d) => `\`${d}\``).join(", ")} did not exist, so the agent worked without them.`);
  }
  if (input.droppedPaths.length) {
    tail.push(
      [
        "## Not pushed",
        `These files were changed by the agent but match protected paths (${input.protectedPaths.map((p) => `\`${p}\``).join(", ")}), so planwright left them out:`,
        ...pathLines(input.droppedPaths),
      ].join("\n"),
    );
  }
  if (input.issueNumber !== null) tail.push(`Closes #${input.issueNumber}`);
  tail.push(`<sub>planwright · \`${input.agentName}\` · run \`${input.runId.slice(0, 8)}\` · ${renderFigures(input.agent)}</sub>`);
  tail.push(iterationMarker(1, input.at));
  const tailText = tail.join("\n\n");
  const budget = MAX_PR_BODY_CHARS - tailText.length - 2;
  const report = capMarkdown(
    neutralizeReferences(renderReport(input.report)),
    Math.max(1_000, budget),
    "\n\n_The report was cut here to fit GitHub's size limit; the full text is in the run's transcript._",
  );
  return `${report}\n\n${tailText}`.slice(0, MAX_PR_BODY_CHARS);
}

export interface IterationInput {
  iteration: number;
  report: AgentReport;
  verification: Verification;
  fixRoundsUsed: number;
  droppedPaths: readonly string[];
  protectedPaths: readonly string[];
  agent: AgentRunResult;
  agentName: string;
  runId: string;
  commitSha: string | null;
  at: string;
}

/** One revise round, appended to the pull request body; headings shift down a level under it. */
export function renderIterationSection(input: IterationInput): string {
  const parts = [
    "---",
    `## Iteration ${input.iteration}`,
    input.commitSha ? `Commit ${input.commitSha.slice(0, 7)}.` : "No new commit: nothing changed in this round.",
  ];
  if (input.agent.stopReason !== "completed") {
    parts.push(`> [!WARNING]\n> The agent did not finish this round: ${input.agent.stopDetail}.`);
  }
  parts.push(demoteHeadings(neutralizeReferences(renderReport(input.report))));
  const tail = [demoteHeadings(renderVerification(input.verification, input.fixRoundsUsed))];
  if (input.droppedPaths.length) {
    const shown = input.droppedPaths.slice(0, MAX_LISTED_PATHS).map((p) => `\`${p}\``);
    const more = input.droppedPaths.length - shown.length;
    tail.push(`**Not pushed** (protected paths): ${shown.join(", ")}${more > 0 ? `, and ${more} more` : ""}`);
  }
  tail.push(`<sub>planwright · \`${input.agentName}\` · run \`${input.runId.slice(0, 8)}\` · ${renderFigures(input.agent)}</sub>`);
  tail.push(iterationMarker(input.iteration, input.at));
  // Only the report is cut: the verdict, what was not pushed and the marker later runs count must stay.
  const head = parts.join("\n\n");
  const tailText = tail.join("\n\n");
  const capped = capMarkdown(head, Math.max(1_000, ITERATION_MAX_CHARS - tailText.length - 2), "\n\n_This iteration's report was cut to fit; the full text is in the run's transcript._");
  return `${capped}\n\n${tailText}`;
}

/** At most this many paths are listed; a vendored directory can be thousands. */
const MAX_LISTED_PATHS = 50;

const ITERATION_MAX_CHARS = 20_000;

function pathLines(paths: readonly string[]): string[] {
  const lines = paths.slice(0, MAX_LISTED_PATHS).map((p) => `- \`${p}\``);
  if (paths.length > MAX_LISTED_PATHS) lines.push(`- …and ${paths.length - MAX_LISTED_PATHS} more`);
  return lines;
}

/** `## ` headings become `### ` under an iteration's own heading; lines inside code fences are the agent's text and stay. */
export function demoteHeadings(markdown: string): string {
  const lines = markdown.split("\n");
  const { fenced } = scanFences(lines);
  return lines.map((line, index) => (!fenced[index] && line.startsWith("## ") ? `#${line}` : line)).join("\n");
}
