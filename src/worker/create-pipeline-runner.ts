import type { Probot } from "probot";
import { createAnthropicModelClient } from "../agent/model-client.js";
import { loadBundledAgents } from "../agents/bundled.js";
import type { PlanwrightEnv } from "../config/env.js";
import { createOctokitGitHubPort } from "../github/octokit-github-port.js";
import { createImplementRunner } from "../pipeline/implement-job.js";
import type { JobQueue } from "../queue/job-queue.js";
import type { JobRunner } from "../queue/worker-pool.js";
import { createSandbox } from "../sandbox/create-sandbox.js";
import { createRedactor } from "../security/redact-secrets.js";
import { knownSecretsOf } from "../security/known-secrets.js";
import { MirrorWorkspace, workspacesRoot } from "../workspace/mirror-workspace.js";
import { TrackingPublisher } from "../tracking/tracking-publisher.js";
import { announceRetiredJobs } from "./announce-retired-jobs.js";
import { appSecretPaths } from "../sandbox/app-secret-paths.js";
import { createRunToken } from "./create-run-token.js";
import { assertTrustedCloneUrl } from "../security/trusted-clone-url.js";
import type { Metrics } from "../metrics/metrics.js";

export interface PipelineRunnerOptions {
  app: Probot;
  env: PlanwrightEnv;
  processEnv: NodeJS.ProcessEnv;
  queue: JobQueue;
  appSlug: () => Promise<string>;
  metrics?: Metrics;
}

/**
 * Builds the worker's job runner from the real collaborators: installation
 * tokens from Probot, the mirror workspace, the sandbox and the model client.
 */
export async function createPipelineRunner(options: PipelineRunnerOptions): Promise<JobRunner> {
  const { app, env, processEnv, queue } = options;
  const log = app.log.child({ name: "pipeline" });
  const redact = createRedactor(knownSecretsOf(processEnv));
  const githubFor = async (job: { spec: { installationId: number; repository: { owner: string; name: string } } }) =>
    createOctokitGitHubPort(await app.auth(job.spec.installationId), { owner: job.spec.repository.owner, repo: job.spec.repository.name });
  // Wherever jobs are claimed, jobs the claim ended need their tracking comment finished too.
  announceRetiredJobs({ queue, githubFor, log });

  const apiKey = processEnv.ANTHROPIC_API_KEY?.trim();
  if (!apiKey) {
    log.warn("ANTHROPIC_API_KEY is not set: jobs will be accepted but fail with a message asking the operator to set it");
    return async (job) => {
      const reason = "this planwright server has no ANTHROPIC_API_KEY, so it cannot run the agent. Nothing was changed.";
      await new TrackingPublisher(await githubFor(job), queue, job)
        .update({ status: "failed", phase: "checkout", reason, nextStep: "the operator must set ANTHROPIC_API_KEY and restart planwright; then trigger again." })
        .catch(() => undefined);
      return { state: "failed", message: reason };
    };
  }

  const hiddenPaths = await appSecretPaths({ cwd: process.cwd(), dataDir: env.dataDir, env: processEnv });
  const sandbox = await createSandbox(env.sandbox, { hiddenPaths, log: { warn: (message: string) => log.warn(message) } });
  let identity: { name: string; email: string } | undefined;

  return createImplementRunner({
    ...(options.metrics ? { metrics: options.metrics } : {}),
    githubFor,
    // A new token every time (they expire after an hour and a run can take longer). Created
    // through the app client because Probot's installation auth refresh ignores GHE_HOST.
    tokenFor: (job) => async () => {
      assertTrustedCloneUrl(job.spec.repository, env.githubWebUrl);
      return createRunToken(await app.auth(), job.spec);
    },
    workspace: new MirrorWorkspace({ root: workspacesRoot(env.dataDir) }),
    modelClient: createAnthropicModelClient({ apiKey, ...(env.anthropicBaseUrl ? { baseURL: env.anthropicBaseUrl } : {}) }),
    sandbox,
    bundledAgents: loadBundledAgents,
    queue,
    model: env.model,
    ...(env.fallbackModel ? { fallbackModel: env.fallbackModel } : {}),
    dataDir: env.dataDir,
    redact,
    botIdentity: async (job) => {
      if (identity) return identity;
      const login = `${await options.appSlug()}[bot]`;
      // GET /users is not open to the app's own JWT; the installation's token can read it.
      const octokit = await app.auth(job.spec.installationId);
      const user = await octokit.rest.users.getByUsername({ username: login }).catch(() => undefined);
      // GitHub links commits to the bot account through this noreply address.
      identity = { name: login, email: user ? `${user.data.id}+${login}@users.noreply.github.com` : `${login}@users.noreply.github.com` };
      return identity;
    },
    log,
  });
}
