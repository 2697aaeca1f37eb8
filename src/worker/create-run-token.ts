import type { JobSpec } from "../queue/job.js";
import { protectedPathMatcher } from "../workspace/protected-paths.js";

/** The one call needed from an app-authenticated Octokit. */
export interface TokenIssuer {
  rest: {
    apps: {
      createInstallationAccessToken(request: {
        installation_id: number;
        repositories: string[];
        permissions: Record<string, "read" | "write">;
      }): Promise<{ data: { token: string } }>;
    };
  };
}

/**
 * A fresh installation token for one run's git traffic: this repository
 * only, and contents only, which is all git needs — unless the repository
 * chose to let workflow files through (`.github/workflows/` not in
 * `protected_paths`). GitHub refuses pushes touching workflows without the
 * `workflows` permission, so then the token asks for it too, and falls back
 * to contents alone when the app was not granted it (the push then fails
 * with planwright's explanation of that permission).
 */
export async function createRunToken(octokit: TokenIssuer, spec: Pick<JobSpec, "installationId" | "repository" | "config">): Promise<string> {
  const request = { installation_id: spec.installationId, repositories: [spec.repository.name] };
  const workflowsProtected = protectedPathMatcher(spec.config.protected_paths)(".github/workflows/ci.yml");
  if (!workflowsProtected) {
    try {
      const { data } = await octokit.rest.apps.createInstallationAccessToken({ ...request, permissions: { contents: "write", workflows: "write" } });
      return data.token;
    } catch (error) {
      // 422: "The permissions requested are not granted to this installation."
      if ((error as { status?: number }).status !== 422) throw error;
    }
  }
  const { data } = await octokit.rest.apps.createInstallationAccessToken({ ...request, permissions: { contents: "write" } });
  return data.token;
}
