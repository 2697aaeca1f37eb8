import { defaultRepoConfig } from "../../src/config/repo-config.js";
import type { JobSpec } from "../../src/queue/job.js";

/** A valid implement-job spec for `octo-org/widgets#42`; override what a test cares about. */
export function makeJobSpec(overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    kind: "implement",
    installationId: 1001,
    repository: {
      owner: "octo-org",
      name: "widgets",
      fullName: "octo-org/widgets",
      cloneUrl: "https://github.com/octo-org/widgets.git",
      defaultBranch: "main",
      private: false,
    },
    issueNumber: 42,
    pullRequestNumber: null,
    agent: "backend-engineer",
    command: "backend",
    instructions: "",
    requester: "octocat",
    deliveryId: "00000000-0000-0000-0000-000000000042",
    source: "label",
    reviewId: null,
    commentId: null,
    config: defaultRepoConfig(),
    trackingCommentId: null,
    ...overrides,
  };
}
