/** The parts of a Probot context the intake needs; tests build these directly. */
export interface WebhookEvent {
  /** `X-GitHub-Delivery`: the same on manual redelivery, so it is the dedupe key for deliveries. */
  deliveryId: string;
  /** Event name without the action (`issues`, `issue_comment`, ...). */
  name: string;
  payload: unknown;
}

export interface RepositoryFacts {
  installationId: number;
  owner: string;
  name: string;
  fullName: string;
  cloneUrl: string;
  defaultBranch: string;
  private: boolean;
}

/** Reads the repository and installation out of a payload, or says why it can't. */
export function repositoryFacts(payload: unknown): RepositoryFacts | { missing: string } {
  if (typeof payload !== "object" || payload === null) return { missing: "payload is not an object" };
  const p = payload as Record<string, unknown>;
  const installation = p.installation as { id?: unknown } | undefined;
  if (!installation || typeof installation.id !== "number") return { missing: "installation.id" };
  const repo = p.repository as Record<string, unknown> | undefined;
  if (!repo || typeof repo !== "object") return { missing: "repository" };
  const owner = (repo.owner as { login?: unknown } | undefined)?.login;
  const { name, full_name: fullName, clone_url: cloneUrl, default_branch: defaultBranch } = repo;
  if (typeof owner !== "string") return { missing: "repository.owner.login" };
  if (typeof name !== "string") return { missing: "repository.name" };
  if (typeof cloneUrl !== "string") return { missing: "repository.clone_url" };
  return {
    installationId: installation.id,
    owner,
    name,
    fullName: typeof fullName === "string" ? fullName : `${owner}/${name}`,
    cloneUrl,
    defaultBranch: typeof defaultBranch === "string" ? defaultBranch : "main",
    private: repo.private === true,
  };
}
