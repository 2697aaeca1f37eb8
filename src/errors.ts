/**
 * Typed errors. Each one carries a message written for the person who has to
 * act on it (an operator reading logs, a maintainer reading a comment).
 */

/** A problem with how planwright or a repository is configured. */
export class ConfigurationError extends Error {
  override name = "ConfigurationError";
  /** Each problem on its own line, so all of them can be fixed in one go. */
  readonly problems: readonly string[];

  constructor(summary: string, problems: readonly string[] = [], options?: { cause?: unknown }) {
    super(problems.length ? `${summary}\n${problems.map((p) => `  - ${p}`).join("\n")}` : summary, options);
    this.problems = problems;
  }
}

/** A GitHub API call failed; keeps the HTTP status so callers can branch on it. */
export class GitHubAPIError extends Error {
  override name = "GitHubAPIError";
  readonly status: number | undefined;

  constructor(message: string, status: number | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }

  static wrap(action: string, error: unknown): GitHubAPIError {
    if (error instanceof GitHubAPIError) return error;
    const status = statusOf(error);
    const detail = error instanceof Error ? error.message : String(error);
    return new GitHubAPIError(`GitHub API: ${action} failed${status ? ` (HTTP ${status})` : ""}: ${detail}`, status, {
      cause: error,
    });
  }
}

/** An agent definition file that cannot be used. */
export class AgentDefinitionError extends Error {
  override name = "AgentDefinitionError";
  readonly source: string;

  constructor(source: string, message: string, options?: { cause?: unknown }) {
    super(`${source}: ${message}`, options);
    this.source = source;
  }
}

export function statusOf(error: unknown): number | undefined {
  if (typeof error === "object" && error !== null && "status" in error) {
    const status = (error as { status: unknown }).status;
    if (typeof status === "number") return status;
  }
  return undefined;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
