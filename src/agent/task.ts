/** One comment of the issue or pull request discussion. Untrusted text. */
export interface DiscussionComment {
  author: string;
  body: string;
  createdAt?: string;
}

/**
 * What the agent is asked to do. Everything except `instructions` is written
 * by whoever can open issues or comment, so it is data for the agent, never
 * instructions; `instructions` comes from the maintainer whose trigger was
 * permission-checked.
 */
export interface AgentTask {
  kind: "implement" | "revise";
  /** Issue (or PR) number, when there is one; the CLI may have none. */
  number: number | null;
  title: string;
  body: string;
  comments: DiscussionComment[];
  /** Extra instructions from the trigger (`/backend <instructions>`); may be empty. */
  instructions: string;
  requester: string;
  /** Review feedback for revise runs: already formatted, untrusted. */
  feedback?: string;
}
