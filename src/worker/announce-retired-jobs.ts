import type { GitHubPort } from "../github/port.js";
import { messageOf } from "../errors.js";
import type { JobQueue } from "../queue/job-queue.js";
import type { Job } from "../queue/job.js";
import { TrackingPublisher } from "../tracking/tracking-publisher.js";
import type { TrackingView } from "../tracking/tracking-comment.js";

export interface AnnounceRetiredJobsOptions {
  queue: JobQueue;
  githubFor: (job: Job) => Promise<Pick<GitHubPort, "createComment" | "updateComment" | "findComment">>;
  log: { warn(details: object, message: string): void };
}

/**
 * A job the queue ends on its own (its workers kept vanishing, or it was
 * stopped while its worker was gone) has no worker left to finish its
 * tracking comment, which would say "working" forever. The process whose
 * claim ended it says so instead. Returns a function that stops listening.
 */
export function announceRetiredJobs(options: AnnounceRetiredJobsOptions): () => void {
  return options.queue.onRetired((job) => {
    void finalComment(job, options).catch((error: unknown) =>
      options.log.warn({ jobId: job.id, err: messageOf(error) }, "could not update the tracking comment of a job the queue ended"),
    );
  });
}

async function finalComment(job: Job, options: AnnounceRetiredJobsOptions): Promise<void> {
  const github = await options.githubFor(job);
  // Which phase it died in is not recorded, so the checklist shows where it was taken from.
  const view: Partial<TrackingView> =
    job.state === "cancelled"
      ? { status: "cancelled", phase: "queued", reason: `${job.message ?? "stopped"}; its worker had stopped responding, so it ended without a clean stop.` }
      : // The queue's message says what happened and what to do.
        { status: "failed", phase: "queued", reason: job.message ?? "its workers stopped responding" };
  await new TrackingPublisher(github, options.queue, job).update(view);
}
