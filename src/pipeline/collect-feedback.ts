import type { RepoConfig } from "../config/repo-config.js";
import type { GitHubPort, ReviewComment } from "../github/port.js";
import { permissionAtLeast } from "../github/port.js";

export interface CollectedFeedback {
  /** Markdown for the agent (framed as untrusted by the prompt). */
  text: string;
  /** Inline comments the agent was shown, to reply to afterwards. */
  comments: ReviewComment[];
  /** People whose review asked for changes: asked to review again when done. */
  reviewers: string[];
  /** Authors left out because they may not steer planwright. */
  ignoredAuthors: string[];
  /** Comments left out because they were edited after the trigger. */
  editedAfterTrigger: number;
}

export interface FeedbackOptions {
  pullNumber: number;
  /** Only feedback after this moment (the previous iteration); null for everything. */
  since: string | null;
  /**
   * When the run was asked for (the job's creation, ms). A comment edited after
   * it is left out: the text now is not what was there when someone with access
   * asked for the run, and an edit is the easy way to slip new instructions in.
   */
  triggeredAt: number;
  botLogin: string;
  command: string;
  config: RepoConfig;
}

/**
 * Everything reviewers said since planwright's last iteration: review
 * bodies, inline comments with their place in the diff, and `/command`
 * comments on the pull request. Feedback from people without the required
 * permission is left out, since it would let anyone steer the agent.
 */
export async function collectFeedback(github: GitHubPort, options: FeedbackOptions): Promise<CollectedFeedback> {
  const after = (when: string) => options.since === null || (when !== "" && Date.parse(when) > Date.parse(options.since));
  const isBot = (login: string) => login.toLowerCase() === options.botLogin.toLowerCase();
  let editedAfterTrigger = 0;
  // Feedback written after the trigger is batched into this run on purpose; only a later *edit* is
  // left out. Review bodies cannot be checked: GitHub records no edit time for them.
  const edited = (c: { createdAt: string; updatedAt: string }): boolean => {
    const updated = Date.parse(c.updatedAt);
    const isEdited = updated > Date.parse(c.createdAt) && updated > options.triggeredAt;
    if (isEdited) editedAfterTrigger++;
    return isEdited;
  };
  const permissions = new Map<string, boolean>();
  const ignored = new Set<string>();
  const permitted = async (login: string): Promise<boolean> => {
    if (isBot(login)) return false;
    if (options.config.allowed_bots.some((b) => b.toLowerCase() === login.toLowerCase())) return true;
    let ok = permissions.get(login);
    if (ok === undefined) {
      ok = permissionAtLeast(await github.getPermission(login), options.config.permission);
      permissions.set(login, ok);
    }
    if (!ok) ignored.add(login);
    return ok;
  };

  const sections: string[] = [];
  const reviewers = new Set<string>();
  for (const review of await github.listReviews(options.pullNumber)) {
    if (!after(review.submittedAt) || isBot(review.author)) continue;
    const state = review.state.toUpperCase();
    if (state !== "CHANGES_REQUESTED" && !(state === "COMMENTED" && review.body.trim())) continue;
    if (!(await permitted(review.author))) continue;
    if (state === "CHANGES_REQUESTED") reviewers.add(review.author);
    if (review.body.trim()) {
      sections.push(`### Review by @${review.author} (${state === "CHANGES_REQUESTED" ? "changes requested" : "comment"})\n\n${review.body.trim()}`);
    }
  }

  const comments: ReviewComment[] = [];
  for (const comment of await github.listReviewComments(options.pullNumber)) {
    if (!after(comment.createdAt) || isBot(comment.author) || edited(comment)) continue;
    if (!(await permitted(comment.author))) continue;
    comments.push(comment);
    const where = `${comment.path}${comment.line !== null ? ` line ${comment.line}` : " (outdated line)"}`;
    sections.push(
      [
        `### ${where} (review comment #${comment.id}) by @${comment.author}`,
        "",
        "```diff",
        comment.diffHunk.replace(/```/g, "``\u200b`"),
        "```",
        "",
        comment.body.trim(),
      ].join("\n"),
    );
  }

  const commandLine = new RegExp(`^\\s*/${options.command}(\\s|$)`, "i");
  for (const comment of await github.listIssueComments(options.pullNumber)) {
    if (!after(comment.createdAt) || isBot(comment.author) || !commandLine.test(comment.body) || edited(comment)) continue;
    if (!(await permitted(comment.author))) continue;
    sections.push(`### Comment by @${comment.author}\n\n${comment.body.trim()}`);
  }

  if (editedAfterTrigger > 0 && sections.length > 0) {
    sections.push(
      `(planwright left out ${editedAfterTrigger} comment${editedAfterTrigger === 1 ? "" : "s"} edited after this run was requested; ` +
        "a new request picks up the edited text.)",
    );
  }
  return { text: sections.join("\n\n"), comments, reviewers: [...reviewers], ignoredAuthors: [...ignored], editedAfterTrigger };
}

/** `- #123: what changed` lines from the agent's `## Review Replies` section. */
export function parseReviewReplies(body: string): Map<number, string> {
  const replies = new Map<number, string>();
  for (const line of body.split("\n")) {
    const match = /^\s*[-*]\s*#?(\d+)\s*[:\-–]\s*(.+)$/.exec(line);
    if (match) replies.set(Number(match[1]), match[2]!.trim());
  }
  return replies;
}
