import type { PullRequest } from "../github/port.js";

/**
 * Why a pull request is not planwright's own, or null when it is. Anyone can open a
 * pull request from a fork on a branch named like planwright's, so the branch name
 * alone must not decide which pull request a run reads feedback from and writes to.
 * Ownership is what the trigger parser checks too: opened by the app's bot login
 * (`<app-slug>[bot]`, case-insensitive like every GitHub login), and planwright only
 * ever opens pull requests from branches in the repository itself.
 */
export function notOwnPullRequest(pullRequest: PullRequest, botLogin: string): string | null {
  if (pullRequest.crossRepository) return `its branch \`${pullRequest.headRef}\` is in another repository`;
  if (pullRequest.author.toLowerCase() !== botLogin.toLowerCase()) return `it was opened by @${pullRequest.author}, not by planwright`;
  return null;
}
