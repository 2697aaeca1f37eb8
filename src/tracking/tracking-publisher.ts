import type { GitHubPort } from "../github/port.js";
import type { JobQueue } from "../queue/job-queue.js";
import type { Job } from "../queue/job.js";
import { renderTrackingComment, trackingMarker, trackingViewOf } from "./tracking-comment.js";
import type { TrackingView } from "./tracking-comment.js";

/**
 * Edits a run's tracking comment in place. If the acknowledgement never got
 * its comment posted (GitHub hiccup during the webhook), the comment is found
 * by its marker or created, so every run ends with a visible status.
 */
export class TrackingPublisher {
  private commentId: number | null;

  constructor(
    private readonly github: Pick<GitHubPort, "createComment" | "updateComment" | "findComment">,
    private readonly queue: Pick<JobQueue, "setTrackingComment">,
    private readonly job: Job,
    private readonly now: () => number = Date.now,
  ) {
    this.commentId = job.spec.trackingCommentId;
  }

  /** Where comments about this job go: the PR for revise runs, the issue otherwise. */
  get threadNumber(): number {
    return (this.job.spec.kind === "revise" ? this.job.spec.pullRequestNumber : this.job.spec.issueNumber) ?? 0;
  }

  async update(change: Partial<TrackingView>): Promise<void> {
    const body = renderTrackingComment({ ...trackingViewOf(this.job, this.now()), ...change });
    if (this.commentId === null) {
      const existing = await this.github.findComment(this.threadNumber, trackingMarker(this.job.id));
      if (existing) this.commentId = existing.id;
    }
    if (this.commentId !== null) {
      await this.github.updateComment(this.commentId, body);
      return;
    }
    const created = await this.github.createComment(this.threadNumber, body);
    this.commentId = created.id;
    await this.queue.setTrackingComment(this.job.id, created.id);
  }
}
