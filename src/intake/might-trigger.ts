/**
 * A cheap look at an event before any GitHub call: most webhooks (every
 * comment, every label) are not for planwright, and reading the repository's
 * config for each of them would spend API quota and time for nothing.
 * Returns true, or the reason the event cannot be a trigger.
 */
export function mightTrigger(name: string, payload: unknown): true | string {
  if (typeof payload !== "object" || payload === null) return "payload is not an object";
  const p = payload as { action?: unknown; comment?: { body?: unknown }; review?: { state?: unknown; body?: unknown } };
  const action = typeof p.action === "string" ? p.action : "";
  switch (`${name}.${action}`) {
    case "issues.labeled":
    case "issues.unlabeled":
    case "issues.opened":
      return true;
    case "issue_comment.created":
    case "pull_request_review_comment.created":
      return startsWithSlash(p.comment?.body) ? true : "comment does not start with a slash command";
    case "pull_request_review.submitted": {
      const state = typeof p.review?.state === "string" ? p.review.state.toLowerCase() : "";
      return state === "changes_requested" || startsWithSlash(p.review?.body) ? true : `review state is ${state || "unknown"}`;
    }
    default:
      return `${name}.${action} is not a trigger event`;
  }
}

function startsWithSlash(body: unknown): boolean {
  return typeof body === "string" && body.trimStart().startsWith("/");
}
