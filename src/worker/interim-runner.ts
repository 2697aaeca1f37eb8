import type { GitHubPort } from "../github/port.js";
import type { JobOutcome, JobQueue } from "../queue/job-queue.js";
import type { Job } from "../queue/job.js";
import { TrackingPublisher } from "../tracking/tracking-publisher.js";

export interface InterimRunnerDependencies {
  queue: Pick<JobQueue, "setTrackingComment">;
  githubFor: (job: Job) => Promise<GitHubPort>;
  now?: () => number;
}

/**
 * The worker's job until the implement/revise pipeline is installed: it takes
 * the job, shows that on the tracking comment, and ends it with an honest
 * message instead of pretending to work. Everything the pipeline will need is
 * already in `job.spec`.
 */
export function createInterimRunner(deps: InterimRunnerDependencies) {
  return async (job: Job, { signal }: { signal: AbortSignal }): Promise<JobOutcome> => {
    const github = await deps.githubFor(job);
    const tracking = new TrackingPublisher(github, deps.queue, job, deps.now);
    await tracking.update({ status: "running", phase: "checkout", detail: "worker picked the job up" });
    if (signal.aborted) {
      await tracking.update({ status: "cancelled", phase: "checkout", reason: "the run was stopped." });
      return { state: "cancelled", message: "stopped before the pipeline started" };
    }
    const reason =
      "this planwright server accepted the request, but its version cannot run the engineer agent yet " +
      "(the implement pipeline is not installed). Nothing in the repository was changed.";
    await tracking.update({
      status: "failed",
      phase: "checkout",
      reason,
      nextStep: "ask the operator to upgrade planwright to a version with the pipeline, then trigger again.",
    });
    return { state: "failed", message: reason };
  };
}
