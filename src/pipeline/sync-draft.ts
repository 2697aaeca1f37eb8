import type { WorkSessionResult } from "../agent/work-session.js";
import { messageOf } from "../errors.js";
import type { GitHubPort, PullRequest } from "../github/port.js";

/** What became of an existing pull request's draft state after a run published to it. */
export type DraftSync =
  | { kind: "unchanged"; draft: boolean }
  | { kind: "changed"; draft: boolean }
  /** `draft` is the state the pull request was left in; `error` is one line, fit for a comment. */
  | { kind: "failed"; wanted: boolean; draft: boolean; error: string };

/**
 * The draft state a pull request should have after this run published to it,
 * or undefined to leave whatever it has. The same rule as for a new pull
 * request, except that planwright never undoes a draft the repository asked for.
 */
export function wantedDraft(session: WorkSessionResult, configDraft: boolean, pushed: boolean): boolean | undefined {
  const stop = session.agent.stopReason;
  // A stop that pushed nothing left the pull request's code as the last run verified it.
  if (stop === "cancelled") return pushed ? true : undefined;
  const verified = session.verification === null || session.verification.passed;
  if (!verified || stop !== "completed") return true;
  return configDraft ? undefined : false;
}

/**
 * Converts the pull request to a draft or marks it ready for review when it is
 * not already in the wanted state. Never throws: the work is published by now,
 * and an old GitHub Enterprise Server without the GraphQL mutation, or an app
 * without the permission, must not turn a finished run into a failed one.
 */
export async function syncDraft(
  github: Pick<GitHubPort, "getPullRequest" | "setPullRequestDraft">,
  pullRequest: PullRequest,
  wanted: boolean | undefined,
  options: { warn: (error: unknown, message: string) => void; redact: (text: string) => string },
): Promise<DraftSync> {
  if (wanted === undefined) return { kind: "unchanged", draft: pullRequest.draft };
  // A revise run read its pull request minutes ago; someone may have changed the state since.
  const current = await github.getPullRequest(pullRequest.number).catch(() => pullRequest);
  // Closed during the run: nobody reviews it any more, so its draft state is not worth a warning.
  if (current.draft === wanted || current.state !== "open") return { kind: "unchanged", draft: current.draft };
  try {
    await github.setPullRequestDraft(current, wanted);
    return { kind: "changed", draft: wanted };
  } catch (error) {
    options.warn(error, wanted ? "could not convert the pull request to a draft" : "could not mark the pull request ready for review");
    return { kind: "failed", wanted, draft: current.draft, error: oneLine(options.redact(messageOf(error))) };
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}
