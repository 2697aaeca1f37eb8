import { describe, expect, it } from "vitest";
import { dedupeKeyFor } from "../../src/queue/job.js";
import { SqliteJobQueue } from "../../src/queue/sqlite-job-queue.js";
import { TrackingPublisher } from "../../src/tracking/tracking-publisher.js";
import { trackingMarker } from "../../src/tracking/tracking-comment.js";
import { FakeGitHub } from "../helpers/fake-github.js";
import { makeJobSpec } from "../helpers/job-spec.js";

async function queuedJob(queue: SqliteJobQueue) {
  const spec = makeJobSpec({ issueNumber: 42, deliveryId: "d-42" });
  const { job } = await queue.enqueue({ spec, deliveryId: "d-42", dedupeKey: dedupeKeyFor(spec.repository.fullName, 42, spec.agent) });
  return job;
}

describe("TrackingPublisher", () => {
  it("waits for a slow acknowledgement's comment instead of posting a second one", async () => {
    const queue = new SqliteJobQueue({ path: ":memory:" });
    try {
      const job = await queuedJob(queue);
      const github = new FakeGitHub();
      // 20 s after the enqueue the webhook's comment is still queued behind Probot's write throttle.
      let clock = job.createdAt + 20_000;
      const publisher = new TrackingPublisher(github, queue, job, () => clock);

      const updating = publisher.update({ status: "running", phase: "checkout", detail: "fetching the mirror" });
      await new Promise((resolve) => setTimeout(resolve, 600));
      const acknowledgement = await github.createComment(42, `${trackingMarker(job.id)}\nqueued`);
      await queue.setTrackingComment(job.id, acknowledgement.id);
      clock += 1000;
      await updating;

      const comments = github.comments.filter((c) => c.body.includes(trackingMarker(job.id)));
      expect(comments.map((c) => c.id)).toEqual([acknowledgement.id]);
      expect(comments[0]?.body).toContain("fetching the mirror");
    } finally {
      await queue.close();
    }
  });

  it("posts the comment itself once the acknowledgement is a minute overdue (the webhook's process died)", async () => {
    const queue = new SqliteJobQueue({ path: ":memory:" });
    try {
      const job = await queuedJob(queue);
      const github = new FakeGitHub();
      const publisher = new TrackingPublisher(github, queue, job, () => job.createdAt + 60_000);

      await publisher.update({ status: "running", phase: "checkout" });

      const comments = github.comments.filter((c) => c.body.includes(trackingMarker(job.id)));
      expect(comments).toHaveLength(1);
      expect((await queue.get(job.id))?.spec.trackingCommentId).toBe(comments[0]?.id);
    } finally {
      await queue.close();
    }
  });
});
