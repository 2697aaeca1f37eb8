import type { Job } from "../queue/job.js";

/**
 * The one comment per run that tells people what planwright is doing. It is
 * created when the trigger is acknowledged and edited in place as the run goes;
 * the hidden marker lets any process find it again from the job id alone.
 */

export const PHASES = ["queued", "checkout", "agent", "verify", "publish"] as const;
export type Phase = (typeof PHASES)[number];

const PHASE_LABELS: Record<Phase, string> = {
  queued: "Queued",
  checkout: "Checking out the repository",
  agent: "Agent working",
  verify: "Verifying (running the tests)",
  publish: "Opening the pull request",
};

export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface TrackingView {
  jobId: string;
  agent: string;
  command: string;
  kind: "implement" | "revise";
  requester: string;
  status: RunStatus;
  /** The phase in progress (running) or where the run ended (failed/cancelled). */
  phase: Phase;
  /** Milliseconds since the job was accepted. */
  elapsedMs?: number;
  /** One line about the current phase, e.g. "turn 12 · Bash · $0.84". */
  detail?: string;
  /** Why the run failed or was stopped, in plain words. */
  reason?: string;
  /** What a person can do next. */
  nextStep?: string;
  pullRequestUrl?: string;
}

export function trackingMarker(jobId: string): string {
  return `<!-- planwright:run ${jobId} -->`;
}

export function renderTrackingComment(view: TrackingView): string {
  const lines: string[] = [trackingMarker(view.jobId)];
  lines.push(`### ${headline(view)}`, "");
  const current = PHASES.indexOf(view.phase);
  for (const [index, phase] of PHASES.entries()) {
    lines.push(`- ${phaseMark(view.status, index, current)} ${PHASE_LABELS[phase]}${index === current && view.detail ? ` — ${view.detail}` : ""}`);
  }
  lines.push("");
  if (view.pullRequestUrl) lines.push(`Pull request: ${view.pullRequestUrl}`, "");
  if (view.reason) lines.push(`**${view.status === "cancelled" ? "Stopped" : "Why"}:** ${view.reason}`, "");
  if (view.nextStep) lines.push(`**What to do:** ${view.nextStep}`, "");
  const facts = [`requested by @${view.requester}`, `agent \`${view.agent}\``, `run \`${view.jobId.slice(0, 8)}\``];
  if (view.elapsedMs !== undefined) facts.push(`${formatDuration(view.elapsedMs)} elapsed`);
  lines.push(`<sub>${facts.join(" · ")}${view.status === "queued" || view.status === "running" ? ` · comment \`/${view.command} stop\` to cancel` : ""}</sub>`);
  return lines.join("\n");
}

function headline(view: TrackingView): string {
  const what = view.kind === "implement" ? "this issue" : "the review feedback";
  switch (view.status) {
    case "queued":
      return `⏳ planwright will work on ${what}`;
    case "running":
      return `🛠️ planwright is working on ${what}`;
    case "succeeded":
      return `✅ planwright finished`;
    case "failed":
      return `❌ planwright could not finish`;
    case "cancelled":
      return `⏹️ planwright stopped`;
  }
}

function phaseMark(status: RunStatus, index: number, current: number): string {
  if (status === "succeeded") return "[x]";
  if (index < current) return "[x]";
  if (index > current) return "[ ]";
  if (status === "failed") return "[ ] ❌";
  if (status === "cancelled") return "[ ] ⏹️";
  if (status === "running") return "[ ] ⏳";
  return status === "queued" && index === 0 ? "[ ] ⏳" : "[ ]";
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

/** The view of a job that has just been accepted; callers override status and phase. */
export function trackingViewOf(job: Job, now: number): TrackingView {
  return {
    jobId: job.id,
    agent: job.spec.agent,
    command: job.spec.command,
    kind: job.spec.kind,
    requester: job.spec.requester,
    status: "queued",
    phase: "queued",
    elapsedMs: now - job.createdAt,
  };
}

