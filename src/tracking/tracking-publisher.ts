import type { GitHubPort } from "../github/port.js";
import type { JobQueue } from "../queue/job-queue.js";
import type { Job } from "../queue/job.js";
import { renderTrackingComment, trackingMarker, trackingViewOf } from "./tracking-comment.js";
import type { TrackingView } from "./tracking-comment.js";

/**
 * How long after enqueueing the webhook's own acknowledgement may still be in
 * flight. It no longer holds the webhook answer, and Probot spaces comment
 * creation about 3 s apart per installation, so a burst of triggers can keep
 * the last one's comment queued for well over 10 s; a worker that gave up
 * sooner would post a second tracking comment. Only a crash or a GitHub error
 * during the acknowledgement makes the worker wait this out.
 */
const ACKNOWLEDGEMENT_GRACE_MS = 60_000;

/**
 * Edits a run's tracking comment in place. If the acknowledgement never got
 * its comment posted (GitHub hiccup during the webhook), the comment is found
 * by its marker or created, so every run ends with a visible status.
 *
 * Edits are coalesced: Probot spaces writes to one installation about a
 * second apart, so while one edit is on its way only the newest state waits
 * behind it. The run never waits for GitHub to show its progress.
 */
export class TrackingPublisher {
  private commentId: number | null;
  private pending: string | undefined;
  private sending: Promise<void> | undefined;
  private lastError: unknown;

  constructor(
    private readonly github: Pick<GitHubPort, "createComment" | "updateComment" | "findComment">,
    private readonly queue: Pick<JobQueue, "setTrackingComment" | "get">,
    private readonly job: Job,
    private readonly now: () => number = Date.now,
  ) {
    this.commentId = job.spec.trackingCommentId;
  }

  /** Where comments about this job go: the PR for revise runs, the issue otherwise. */
  get threadNumber(): number {
    return (this.job.spec.kind === "revise" ? this.job.spec.pullRequestNumber : this.job.spec.issueNumber) ?? 0;
  }

  /**
   * Publishes this state (or a newer one given meanwhile). The promise settles
   * once it is on GitHub; progress callers may ignore it, final states await it.
   * Rejects when the edit that carried this state failed.
   */
  update(change: Partial<TrackingView>): Promise<void> {
    this.pending = renderTrackingComment({ ...trackingViewOf(this.job, this.now()), ...change });
    this.sending ??= this.drain().finally(() => {
      this.sending = undefined;
    });
    return this.sending.then(() => {
      if (this.lastError !== undefined) {
        const error = this.lastError;
        this.lastError = undefined;
        throw error;
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.pending !== undefined) {
      const body = this.pending;
      this.pending = undefined;
      try {
        await this.publish(body);
        this.lastError = undefined;
      } catch (error) {
        this.lastError = error;
      }
    }
  }

  private async publish(body: string): Promise<void> {
    if (this.commentId === null) this.commentId = await this.findExisting();
    if (this.commentId !== null) {
      await this.github.updateComment(this.commentId, body);
      return;
    }
    const created = await this.github.createComment(this.threadNumber, body);
    this.commentId = created.id;
    await this.queue.setTrackingComment(this.job.id, created.id);
  }

  /**
   * The intake posts the comment right after enqueueing; a worker that polls
   * in between must not post a second one, so a young job gets a moment for
   * the acknowledgement to land.
   */
  private async findExisting(): Promise<number | null> {
    const deadline = this.job.createdAt + ACKNOWLEDGEMENT_GRACE_MS;
    for (;;) {
      const stored = (await this.queue.get(this.job.id))?.spec.trackingCommentId ?? null;
      if (stored !== null) return stored;
      const found = await this.github.findComment(this.threadNumber, trackingMarker(this.job.id));
      if (found) return found.id;
      if (this.now() >= deadline) return null;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
