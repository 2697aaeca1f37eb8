import { REPO_CONFIG_PATH } from "../config/repo-config.js";
import type { PermissionLevel } from "../config/repo-config.js";

/** Comments the intake posts. Kept together so their tone stays consistent. */

export const CONFIG_ERROR_MARKER = "<!-- planwright:config-error -->";

export function refusalMarker(actor: string): string {
  return `<!-- planwright:refused ${actor.toLowerCase()} -->`;
}

export function invalidConfigComment(problems: readonly string[], defaultBranch: string, command: string): string {
  return [
    CONFIG_ERROR_MARKER,
    `planwright did not start: \`${REPO_CONFIG_PATH}\` on \`${defaultBranch}\` has ${problems.length === 1 ? "a problem" : `${problems.length} problems`}:`,
    "",
    ...problems.map((p) => `- ${p}`),
    "",
    `Fix the file on \`${defaultBranch}\`, then trigger again (comment \`/${command}\` or re-add the label). ` +
      "Every key is described in the planwright README under *Configuration*.",
  ].join("\n");
}

export function refusalComment(actor: string, required: PermissionLevel, command: string, label: string): string {
  return [
    refusalMarker(actor),
    `Thanks for the request, @${actor}. planwright only starts work for people with **${required}** access or higher ` +
      "to this repository, so nothing was started.",
    "",
    `Someone with that access can start it by commenting \`/${command}\` here or adding the \`${label}\` label.`,
  ].join("\n");
}

export function alreadyActiveComment(runLink: string | undefined, command: string): string {
  const where = runLink ? `: ${runLink}` : ".";
  return (
    `planwright is already working on this${where}\n\n` +
    `This request was not started a second time. To replace the current run, comment \`/${command} stop\`, ` +
    "wait for it to stop, then ask again."
  );
}

export function nothingToStopComment(command: string): string {
  return `There is no queued or running planwright job here to stop. (\`/${command} stop\` cancels a run that is in progress.)`;
}

export function closedPullRequestComment(command: string): string {
  return (
    "This pull request is closed, so planwright will not change it. " +
    `Reopen it and comment \`/${command} ...\` again, or ask on the issue for a new pull request.`
  );
}

export function notQueuedComment(command: string, label: string): string {
  return (
    "planwright could not queue this request: its job queue did not answer, so nothing was started. " +
    `Ask again in a few minutes (comment \`/${command}\`, or remove and re-add the \`${label}\` label); ` +
    "if it keeps happening, the operator should check the queue (Redis or the data directory) and the logs."
  );
}
