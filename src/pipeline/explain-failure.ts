import { MissingDocumentsError } from "../agent/work-session.js";
import { ConfigurationError, GitHubAPIError } from "../errors.js";
import type { Phase } from "../tracking/tracking-comment.js";
import { GitOperationError, PushRejectedError } from "../workspace/workspace.js";

export interface ExplainedFailure {
  reason: string;
  nextStep: string;
  cancelled: boolean;
}

/** Turns whatever went wrong into plain words and something a person can do about it. */
export function explainFailure(error: unknown, phase: Phase, signal: AbortSignal): ExplainedFailure {
  if (signal.aborted) {
    const why = signal.reason instanceof Error ? signal.reason.message : "the run was stopped";
    return { reason: why, nextStep: "trigger it again when you want the work to continue.", cancelled: true };
  }
  if (error instanceof MissingDocumentsError) {
    return { reason: error.message, nextStep: "add the documents on the default branch, then trigger again.", cancelled: false };
  }
  if (error instanceof PushRejectedError) {
    const nextStep = error.rescuedTo
      ? `compare \`${error.rescuedTo}\` with the new head and merge what you want, or trigger the run again to start from the new head.`
      : "trigger the run again; it will start from the branch's new head.";
    return { reason: error.message, nextStep, cancelled: false };
  }
  if (error instanceof GitOperationError) {
    const workflows = /workflow/i.test(error.message);
    return {
      reason: error.message,
      nextStep: workflows
        ? "keep `.github/workflows/**` in `protected_paths` (the default), or have the operator grant the GitHub App the Workflows permission, then trigger again."
        : phase === "checkout"
          ? "check that the app is still installed on this repository and that the default branch exists, then trigger again."
          : "trigger again; if it keeps failing, the operator should look at the worker logs.",
      cancelled: false,
    };
  }
  if (error instanceof GitHubAPIError) {
    return {
      reason: `GitHub answered with an error${error.status ? ` (HTTP ${error.status})` : ""} while ${phaseWords(phase)}: ${error.message}`,
      nextStep: "trigger again in a few minutes; if it keeps failing, check the app's permissions.",
      cancelled: false,
    };
  }
  if (error instanceof ConfigurationError) {
    return { reason: error.message, nextStep: "the operator of this planwright server needs to fix its configuration.", cancelled: false };
  }
  if (error instanceof Error && error.name === "UnsupportedJobError") {
    return { reason: error.message, nextStep: "nothing was changed; trigger again once this is resolved.", cancelled: false };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    reason: `an unexpected error while ${phaseWords(phase)}: ${message}`,
    nextStep: "trigger again; if it repeats, the operator can find this run in the logs by its run id.",
    cancelled: false,
  };
}

function phaseWords(phase: Phase): string {
  switch (phase) {
    case "queued":
      return "waiting";
    case "checkout":
      return "checking out the repository";
    case "agent":
      return "the agent was working";
    case "verify":
      return "running the tests";
    case "publish":
      return "opening the pull request";
  }
}
