/**
 * What a webhook asked planwright to do. Produced by `parseTrigger` (pure),
 * consumed by the intake handler. Nothing here talks to GitHub.
 */

/** Where the 👀 acknowledgement goes. Reviews themselves cannot carry reactions. */
export type ReactionTarget =
  | { type: "issue"; number: number }
  | { type: "issue_comment"; commentId: number }
  | { type: "review_comment"; commentId: number }
  | { type: "none" };

export type ImplementSource = "label" | "issue_comment" | "auto";
export type ReviseSource = "pr_comment" | "review" | "review_comment";

interface TriggerBase {
  /** Agent name, as in the definition's frontmatter (`backend-engineer`). */
  agent: string;
  /** Login of the person (or allowed bot) who asked. */
  actor: string;
  /** Issue number for implement; pull request number for revise; either for stop. */
  number: number;
  reactTo: ReactionTarget;
}

/** An issue's title and body as one webhook carried them. */
export interface IssueText {
  title: string;
  body: string;
}

export interface ImplementTrigger extends TriggerBase {
  kind: "implement";
  source: ImplementSource;
  /** Extra instructions from the maintainer's `/command ...` line and the lines below it. */
  instructions: string;
  commentId?: number;
  /**
   * The issue as it read when the request was made. Its author may lack write access and
   * edit it while the job waits; what the person who asked saw is what they asked for.
   */
  issue: IssueText;
}

export interface ReviseTrigger extends TriggerBase {
  kind: "revise";
  source: ReviseSource;
  instructions: string;
  /**
   * The issue the pull request closes, when it can be read from the PR (its
   * `…issue-<n>-…` head branch, or `Closes #<n>` in its body).
   */
  issueNumber?: number;
  /** The review that requested changes (source `review`). */
  reviewId?: number;
  commentId?: number;
  /** The diff line a review comment is attached to (source `review_comment`). */
  location?: ReviewCommentLocation;
  /** The pull request is closed or merged: answered with a refusal, never run. */
  pullRequestClosed?: true;
}

/** Where on the diff a review comment sits; `line` is null when the comment is outdated. */
export interface ReviewCommentLocation {
  path: string;
  line: number | null;
  diffHunk: string;
}

export interface StopTrigger extends TriggerBase {
  kind: "stop";
  /** From a removed label: cancels a job that has not started, leaves a running one alone. */
  queuedOnly?: boolean;
  /** True when the stop was said on a pull request rather than an issue. */
  onPullRequest: boolean;
  commentId?: number;
}

export type Trigger = ImplementTrigger | ReviseTrigger | StopTrigger;

/** Why an event was not a trigger; logged at debug level to explain silence. */
export interface Ignored {
  ignored: string;
}

export type TriggerResult = Trigger | Ignored;

export function isIgnored(result: TriggerResult): result is Ignored {
  return "ignored" in result;
}

/** How one agent is reached in a repository. */
export interface AgentRoute {
  name: string;
  command: string;
  label: string;
  /** Words from the definition's TRIGGERS line, used only for auto-trigger. */
  triggerWords: readonly string[];
}

/** Everything `parseTrigger` needs besides the event itself. */
export interface TriggerRules {
  agents: readonly AgentRoute[];
  autoTrigger: boolean;
  /** Bot logins (`name[bot]`) allowed to trigger runs. */
  allowedBots: readonly string[];
  /** planwright's own bot login (`<app-slug>[bot]`): its events are ignored, its PRs are revisable. */
  appBotLogin: string;
  reviseOnChangesRequested: boolean;
}
