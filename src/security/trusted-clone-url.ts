import type { JobRepository } from "../queue/job.js";

/** A job whose clone URL is not this GitHub's repository: its token must not be sent there. */
export class UntrustedCloneUrlError extends Error {
  override name = "UntrustedCloneUrlError";
}

/**
 * Checks, right before an installation token is made for git, that the job's
 * clone URL is `<this GitHub>/<owner>/<name>.git`. Jobs come from signed
 * webhooks, but they wait in a queue (a Redis, a SQLite file) that others may
 * reach; a forged job must not get a worker to send a token to any other host.
 */
export function assertTrustedCloneUrl(repository: Pick<JobRepository, "cloneUrl" | "owner" | "name">, githubWebUrl: string): void {
  const expected = `${githubWebUrl.replace(/\/+$/, "")}/${repository.owner}/${repository.name}.git`;
  if (repository.cloneUrl.toLowerCase() !== expected.toLowerCase()) {
    throw new UntrustedCloneUrlError(
      `refusing to fetch ${JSON.stringify(repository.cloneUrl)}: a job for ${repository.owner}/${repository.name} must clone ${expected}. ` +
        "Jobs are made from GitHub's webhooks; one with another URL did not come from there, so check who can write to the queue.",
    );
  }
}
