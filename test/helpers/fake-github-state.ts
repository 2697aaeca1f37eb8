import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import type { Permission } from "../../src/github/port.js";

const exec = promisify(execFile);

/*
 * The fake GitHub's memory: what a test seeds before sending a webhook and
 * reads afterwards to see what planwright did. Plain objects and arrays, so
 * assertions can use ordinary `expect(...)` matchers on them.
 */

export type AccountType = "User" | "Organization" | "Bot";

export interface FakeAccount {
  login: string;
  id: number;
  type: AccountType;
}

export interface FakeApp {
  id: number;
  slug: string;
  name: string;
  clientId: string;
  owner: string;
  /** `<slug>[bot]`: the author of everything planwright writes. */
  botLogin: string;
}

export interface FakeInstallation {
  id: number;
  /** The account the app is installed on. */
  account: string;
  permissions: Record<string, "read" | "write">;
  createdAt: string;
}

export interface FakeLabel {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface FakeCollaborator {
  login: string;
  role: Permission;
}

export interface FakeRepository {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  ownerType: "User" | "Organization";
  defaultBranch: string;
  private: boolean;
  description: string | null;
  installationId: number;
  /** When set, contents, branches and diffs are read from this bare repository, so the fake reflects what was pushed. */
  bareRepoPath: string | undefined;
  /** Files on the default branch, for repositories without a bare repo. */
  files: Map<string, string>;
  /** Branch name → commit sha, for repositories without a bare repo. */
  branches: Map<string, string>;
  /** Keyed by lower-cased login: GitHub logins are case-insensitive. */
  collaborators: Map<string, FakeCollaborator>;
  /** Keyed by lower-cased name, as GitHub matches label names. */
  labels: Map<string, FakeLabel>;
  /** Issues and pull requests share one sequence, as on GitHub. */
  nextNumber: number;
  createdAt: string;
  cloneUrl: string;
  htmlUrl: string;
}

export interface FakeIssue {
  /** `owner/name` of the repository. */
  repo: string;
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  /** Label names, in the order they were added. */
  labels: string[];
  user: string;
  assignees: string[];
  locked: boolean;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  htmlUrl: string;
}

export interface FakePullRequest extends FakeIssue {
  head: string;
  /** Last known head commit; refreshed from the bare repo whenever the pull request is read. */
  headSha: string;
  base: string;
  baseSha: string;
  draft: boolean;
  merged: boolean;
  maintainerCanModify: boolean;
  requestedReviewers: string[];
}

export interface FakeIssueComment {
  repo: string;
  id: number;
  issueNumber: number;
  body: string;
  user: string;
  createdAt: string;
  updatedAt: string;
  htmlUrl: string;
  /** How many times the body was changed after creation. */
  edits: number;
}

export type ReviewState = "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED" | "PENDING";

export interface FakeReview {
  repo: string;
  id: number;
  pullNumber: number;
  user: string;
  state: ReviewState;
  body: string;
  commitId: string;
  submittedAt: string;
  htmlUrl: string;
}

export interface FakeReviewComment {
  repo: string;
  id: number;
  pullNumber: number;
  reviewId: number | null;
  body: string;
  path: string;
  line: number | null;
  side: "LEFT" | "RIGHT";
  commitId: string;
  diffHunk: string;
  inReplyToId: number | undefined;
  user: string;
  createdAt: string;
  updatedAt: string;
  htmlUrl: string;
}

export const REACTION_CONTENTS = ["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"] as const;
export type ReactionContentName = (typeof REACTION_CONTENTS)[number];

export type ReactionSubject =
  | { type: "issue"; number: number }
  | { type: "issue_comment"; id: number }
  | { type: "review_comment"; id: number };

export interface FakeReaction {
  repo: string;
  id: number;
  subject: ReactionSubject;
  content: ReactionContentName;
  user: string;
  createdAt: string;
}

export interface FakeToken {
  token: string;
  installationId: number;
  createdAt: number;
  /** Milliseconds since the epoch; the fake answers 401 from this moment on. */
  expiresAt: number;
  revoked: boolean;
  /** Lower-cased full names the token is limited to; undefined for every repository of the installation. */
  repositories: string[] | undefined;
  permissions: Record<string, "read" | "write">;
  /** API and git requests that presented this token and were let through. */
  uses: number;
}

export type AuthKind = "jwt" | "token" | "basic" | "none" | "invalid";

export interface RecordedRequest {
  at: number;
  method: string;
  /** Path below the API prefix (`/repos/o/r/issues/1`), `/api/graphql`, or the git path for git requests. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body; undefined when there was none. */
  body: unknown;
  auth: AuthKind;
  /** The installation token presented, when there was one. */
  token: string | undefined;
  /** The route template that answered (`POST /repos/{owner}/{repo}/pulls`, `GRAPHQL convertPullRequestToDraft`); undefined when none did. */
  route: string | undefined;
  status: number;
  git: boolean;
}

export interface AddRepositoryOptions {
  owner: string;
  name: string;
  defaultBranch?: string;
  private?: boolean;
  description?: string;
  /** Personal repositories make their owner an admin, as GitHub does; organisation ones do not. */
  ownerType?: "User" | "Organization";
  /** Defaults to the fake's default installation. */
  installationId?: number;
  /** Read contents, branches and diffs from this bare repository (what planwright pushed is what the API shows). */
  bareRepoPath?: string;
  /** Files on the default branch, when there is no bare repository. */
  files?: Record<string, string>;
  collaborators?: Record<string, Permission>;
}

export interface AddIssueOptions {
  owner: string;
  repo: string;
  title: string;
  body?: string | null;
  user: string;
  labels?: string[];
  state?: "open" | "closed";
  locked?: boolean;
}

export interface AddPullRequestOptions {
  owner: string;
  repo: string;
  title: string;
  head: string;
  base?: string;
  body?: string | null;
  /** Defaults to the app's bot: most pull requests a test cares about are planwright's. */
  user?: string;
  draft?: boolean;
  state?: "open" | "closed";
}

export interface AddCommentOptions {
  owner: string;
  repo: string;
  issueNumber: number;
  body: string;
  user: string;
}

export interface AddReviewOptions {
  owner: string;
  repo: string;
  pullNumber: number;
  user: string;
  state: Exclude<ReviewState, "PENDING" | "DISMISSED">;
  body?: string;
  comments?: Array<{ path: string; line: number; body: string; side?: "LEFT" | "RIGHT" }>;
}

export interface Urls {
  /** `http://127.0.0.1:PORT`: web pages and git. */
  web: string;
  /** `${web}/api/v3`: the REST API, as on GitHub Enterprise Server. */
  api: string;
}

export interface StateOptions {
  urls: Urls;
  appId: number;
  appSlug: string;
  installationId: number;
  installationAccount: string;
  tokenTtlMs: number;
}

export interface TreeEntry {
  name: string;
  path: string;
  type: "file" | "dir" | "symlink" | "submodule";
  sha: string;
  size: number;
}

export type PathLookup =
  | { kind: "file"; entry: TreeEntry; content: Buffer }
  | { kind: "symlink"; entry: TreeEntry; target: string }
  | { kind: "submodule"; entry: TreeEntry }
  | { kind: "dir"; entries: TreeEntry[] }
  | { kind: "missing" }
  | { kind: "no-ref" };

export interface ChangedFile {
  filename: string;
  previousFilename: string | undefined;
  status: "added" | "removed" | "modified" | "renamed" | "copied" | "changed" | "unchanged";
  additions: number;
  deletions: number;
  sha: string | null;
  patch: string | undefined;
}

export interface BranchComparison {
  commits: number;
  files: ChangedFile[];
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/**
 * `ghs_` and 60 base62 characters: GitHub has announced longer installation
 * tokens, so nothing downstream may assume the classic 40 characters.
 */
export function newInstallationToken(): string {
  let out = "";
  while (out.length < 60) {
    for (const byte of randomBytes(64)) {
      // 248 = 4 × 62: rejecting the rest keeps every character equally likely.
      if (byte < 248 && out.length < 60) out += BASE62[byte % 62];
    }
  }
  return `ghs_${out}`;
}

/** GitHub's timestamps carry whole seconds. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The sha git gives a blob, so seeded files and pushed files look alike. */
export function blobSha(content: string | Buffer): string {
  const data = typeof content === "string" ? Buffer.from(content) : content;
  return createHash("sha1").update(`blob ${data.length}\0`).update(data).digest("hex");
}

function fakeSha(seed: string): string {
  return createHash("sha1").update(seed).digest("hex");
}

export class FakeGitHubState {
  readonly urls: Urls;
  readonly app: FakeApp;
  /** The installation repositories join unless told otherwise. */
  readonly installationId: number;
  tokenTtlMs: number;

  readonly accounts = new Map<string, FakeAccount>();
  readonly installations = new Map<number, FakeInstallation>();
  readonly repositories = new Map<string, FakeRepository>();
  readonly issues: FakeIssue[] = [];
  readonly pullRequests: FakePullRequest[] = [];
  readonly comments: FakeIssueComment[] = [];
  readonly reviews: FakeReview[] = [];
  readonly reviewComments: FakeReviewComment[] = [];
  readonly reactions: FakeReaction[] = [];
  readonly tokens: FakeToken[] = [];
  readonly requests: RecordedRequest[] = [];

  // GitHub's ids are large and (for comments and reviews) past 2^31, which catches int32 assumptions.
  private ids = {
    account: 5_000_001,
    repository: 900_000_001,
    issue: 3_100_000_001,
    comment: 2_900_000_001,
    review: 2_800_000_001,
    reviewComment: 2_700_000_001,
    reaction: 310_000_001,
    label: 8_100_000_001,
  };

  constructor(options: StateOptions) {
    this.urls = options.urls;
    this.tokenTtlMs = options.tokenTtlMs;
    this.installationId = options.installationId;
    this.app = {
      id: options.appId,
      slug: options.appSlug,
      name: options.appSlug,
      clientId: `Iv23li${fakeSha(options.appSlug).slice(0, 14)}`,
      owner: options.installationAccount,
      botLogin: `${options.appSlug}[bot]`,
    };
    this.account(this.app.botLogin, "Bot");
    this.account(options.installationAccount, "Organization");
    this.addInstallation(options.installationId, options.installationAccount);
  }

  private nextId(kind: keyof FakeGitHubState["ids"]): number {
    const id = this.ids[kind];
    this.ids[kind] = id + 1;
    return id;
  }

  private now(): string {
    return isoSeconds(Date.now());
  }

  /** The account for a login, created on first mention (logins ending in `[bot]` are bots). */
  account(login: string, type?: AccountType): FakeAccount {
    const key = login.toLowerCase();
    const existing = this.accounts.get(key);
    if (existing) {
      if (type) existing.type = type;
      return existing;
    }
    const created: FakeAccount = { login, id: this.nextId("account"), type: type ?? (login.endsWith("[bot]") ? "Bot" : "User") };
    this.accounts.set(key, created);
    return created;
  }

  findAccount(login: string): FakeAccount | undefined {
    return this.accounts.get(login.toLowerCase());
  }

  addInstallation(id: number, account: string): FakeInstallation {
    const installation: FakeInstallation = {
      id,
      account,
      permissions: { contents: "write", issues: "write", pull_requests: "write", metadata: "read" },
      createdAt: this.now(),
    };
    this.installations.set(id, installation);
    return installation;
  }

  addRepository(options: AddRepositoryOptions): FakeRepository {
    const fullName = `${options.owner}/${options.name}`;
    if (this.repositories.has(fullName.toLowerCase())) throw new Error(`fake GitHub already has ${fullName}`);
    if (options.bareRepoPath && options.files) {
      throw new Error(`${fullName}: give either bareRepoPath or files; the fake reads contents from one place`);
    }
    const installationId = options.installationId ?? this.installationId;
    if (!this.installations.has(installationId)) throw new Error(`fake GitHub has no installation ${installationId}`);
    const ownerType = options.ownerType ?? "User";
    this.account(options.owner, ownerType);
    const defaultBranch = options.defaultBranch ?? "main";
    const files = new Map(Object.entries(options.files ?? {}));
    const repository: FakeRepository = {
      id: this.nextId("repository"),
      owner: options.owner,
      name: options.name,
      fullName,
      ownerType,
      defaultBranch,
      private: options.private ?? false,
      description: options.description ?? null,
      installationId,
      bareRepoPath: options.bareRepoPath,
      files,
      branches: new Map([[defaultBranch, fakeSha(`${fullName}:${[...files.entries()].flat().join("\0")}`)]]),
      collaborators: new Map(),
      labels: new Map(),
      nextNumber: 1,
      createdAt: this.now(),
      cloneUrl: `${this.urls.web}/${options.owner}/${options.name}.git`,
      htmlUrl: `${this.urls.web}/${options.owner}/${options.name}`,
    };
    this.repositories.set(fullName.toLowerCase(), repository);
    for (const [login, role] of Object.entries(options.collaborators ?? {})) this.setPermission(repository, login, role);
    return repository;
  }

  repository(owner: string, name: string): FakeRepository | undefined {
    return this.repositories.get(`${owner}/${name}`.toLowerCase());
  }

  requireRepository(owner: string, name: string): FakeRepository {
    const repository = this.repository(owner, name);
    if (!repository) throw new Error(`fake GitHub has no repository ${owner}/${name}; add it with repos.add first`);
    return repository;
  }

  setPermission(repository: FakeRepository, login: string, role: Permission): void {
    this.account(login);
    if (role === "none") repository.collaborators.delete(login.toLowerCase());
    else repository.collaborators.set(login.toLowerCase(), { login, role });
  }

  /** The role GitHub would report: explicit collaborator role, owner of a personal repo, else read on public repos. */
  roleOf(repository: FakeRepository, login: string): Permission {
    const collaborator = repository.collaborators.get(login.toLowerCase());
    if (collaborator) return collaborator.role;
    if (repository.ownerType === "User" && repository.owner.toLowerCase() === login.toLowerCase()) return "admin";
    return repository.private ? "none" : "read";
  }

  label(repository: FakeRepository, name: string): FakeLabel {
    const key = name.toLowerCase();
    const existing = repository.labels.get(key);
    if (existing) return existing;
    // GitHub creates a label that does not exist yet when it is added to an issue.
    const created: FakeLabel = { id: this.nextId("label"), name, color: fakeSha(name).slice(0, 6), description: null };
    repository.labels.set(key, created);
    return created;
  }

  addIssue(options: AddIssueOptions): FakeIssue {
    const repository = this.requireRepository(options.owner, options.repo);
    this.account(options.user);
    const number = repository.nextNumber++;
    const now = this.now();
    const issue: FakeIssue = {
      repo: repository.fullName,
      id: this.nextId("issue"),
      number,
      title: options.title,
      body: options.body ?? null,
      state: options.state ?? "open",
      labels: [],
      user: options.user,
      assignees: [],
      locked: options.locked ?? false,
      createdAt: now,
      updatedAt: now,
      closedAt: options.state === "closed" ? now : null,
      htmlUrl: `${repository.htmlUrl}/issues/${number}`,
    };
    for (const name of options.labels ?? []) this.addLabel(repository, issue, name);
    this.issues.push(issue);
    return issue;
  }

  /** Opens a pull request the way `POST /pulls` does, without its validation: for seeding. */
  async addPullRequest(options: AddPullRequestOptions): Promise<FakePullRequest> {
    const repository = this.requireRepository(options.owner, options.repo);
    const base = options.base ?? repository.defaultBranch;
    const headSha = (await this.branchSha(repository, options.head)) ?? fakeSha(`${repository.fullName}:${options.head}`);
    const baseSha = (await this.branchSha(repository, base)) ?? fakeSha(`${repository.fullName}:${base}`);
    return this.createPullRequest(repository, {
      title: options.title,
      body: options.body ?? null,
      head: options.head,
      headSha,
      base,
      baseSha,
      draft: options.draft ?? false,
      user: options.user ?? this.app.botLogin,
      maintainerCanModify: false,
      state: options.state ?? "open",
    });
  }

  createPullRequest(
    repository: FakeRepository,
    fields: Pick<FakePullRequest, "title" | "body" | "head" | "headSha" | "base" | "baseSha" | "draft" | "user" | "maintainerCanModify" | "state">,
  ): FakePullRequest {
    this.account(fields.user);
    const number = repository.nextNumber++;
    const now = this.now();
    const pull: FakePullRequest = {
      ...fields,
      repo: repository.fullName,
      id: this.nextId("issue"),
      number,
      labels: [],
      assignees: [],
      locked: false,
      createdAt: now,
      updatedAt: now,
      closedAt: fields.state === "closed" ? now : null,
      htmlUrl: `${repository.htmlUrl}/pull/${number}`,
      merged: false,
      requestedReviewers: [],
    };
    this.pullRequests.push(pull);
    return pull;
  }

  /** An issue or a pull request by number: GitHub's issues API answers for both. */
  issueOrPull(repository: FakeRepository, number: number): FakeIssue | FakePullRequest | undefined {
    return (
      this.issues.find((i) => i.repo === repository.fullName && i.number === number) ??
      this.pullRequests.find((p) => p.repo === repository.fullName && p.number === number)
    );
  }

  pullRequest(repository: FakeRepository, number: number): FakePullRequest | undefined {
    return this.pullRequests.find((p) => p.repo === repository.fullName && p.number === number);
  }

  isPullRequest(item: FakeIssue | FakePullRequest): item is FakePullRequest {
    return "head" in item;
  }

  addLabel(repository: FakeRepository, issue: FakeIssue, name: string): FakeLabel {
    const label = this.label(repository, name);
    if (!issue.labels.some((l) => l.toLowerCase() === label.name.toLowerCase())) issue.labels.push(label.name);
    return label;
  }

  addComment(options: AddCommentOptions): FakeIssueComment {
    const repository = this.requireRepository(options.owner, options.repo);
    const issue = this.issueOrPull(repository, options.issueNumber);
    if (!issue) throw new Error(`${repository.fullName} has no issue or pull request #${options.issueNumber}`);
    return this.createComment(repository, issue, options.body, options.user);
  }

  createComment(repository: FakeRepository, issue: FakeIssue, body: string, user: string): FakeIssueComment {
    this.account(user);
    const id = this.nextId("comment");
    const now = this.now();
    const comment: FakeIssueComment = {
      repo: repository.fullName,
      id,
      issueNumber: issue.number,
      body,
      user,
      createdAt: now,
      updatedAt: now,
      htmlUrl: `${issue.htmlUrl}#issuecomment-${id}`,
      edits: 0,
    };
    this.comments.push(comment);
    issue.updatedAt = now;
    return comment;
  }

  /** Comments on one issue or pull request, oldest first. */
  commentsOn(owner: string, repo: string, issueNumber: number): FakeIssueComment[] {
    const repository = this.requireRepository(owner, repo);
    return this.comments.filter((c) => c.repo === repository.fullName && c.issueNumber === issueNumber);
  }

  async addReview(options: AddReviewOptions): Promise<{ review: FakeReview; comments: FakeReviewComment[] }> {
    const repository = this.requireRepository(options.owner, options.repo);
    const pull = this.pullRequest(repository, options.pullNumber);
    if (!pull) throw new Error(`${repository.fullName} has no pull request #${options.pullNumber}`);
    this.account(options.user);
    const commitId = (await this.branchSha(repository, pull.head)) ?? pull.headSha;
    const id = this.nextId("review");
    const review: FakeReview = {
      repo: repository.fullName,
      id,
      pullNumber: pull.number,
      user: options.user,
      state: options.state,
      body: options.body ?? "",
      commitId,
      submittedAt: this.now(),
      htmlUrl: `${pull.htmlUrl}#pullrequestreview-${id}`,
    };
    this.reviews.push(review);
    const comments = (options.comments ?? []).map((c) =>
      this.createReviewComment(repository, pull, {
        reviewId: id,
        body: c.body,
        path: c.path,
        line: c.line,
        side: c.side ?? "RIGHT",
        commitId,
        inReplyToId: undefined,
        user: options.user,
      }),
    );
    return { review, comments };
  }

  createReviewComment(
    repository: FakeRepository,
    pull: FakePullRequest,
    fields: Pick<FakeReviewComment, "reviewId" | "body" | "path" | "line" | "side" | "commitId" | "inReplyToId" | "user">,
  ): FakeReviewComment {
    this.account(fields.user);
    const id = this.nextId("reviewComment");
    const now = this.now();
    const comment: FakeReviewComment = {
      ...fields,
      repo: repository.fullName,
      id,
      pullNumber: pull.number,
      diffHunk: `@@ -${fields.line ?? 1},1 +${fields.line ?? 1},1 @@`,
      createdAt: now,
      updatedAt: now,
      htmlUrl: `${pull.htmlUrl}#discussion_r${id}`,
    };
    this.reviewComments.push(comment);
    return comment;
  }

  /** GitHub answers 200 with the existing reaction when the same user reacts the same way twice. */
  react(repository: FakeRepository, subject: ReactionSubject, content: ReactionContentName, user: string): { reaction: FakeReaction; created: boolean } {
    const existing = this.reactions.find(
      (r) => r.repo === repository.fullName && sameSubject(r.subject, subject) && r.content === content && r.user === user,
    );
    if (existing) return { reaction: existing, created: false };
    const reaction: FakeReaction = { repo: repository.fullName, id: this.nextId("reaction"), subject, content, user, createdAt: this.now() };
    this.reactions.push(reaction);
    return { reaction, created: true };
  }

  issueToken(installationId: number, repositories: string[] | undefined, permissions: Record<string, "read" | "write">): FakeToken {
    const createdAt = Date.now();
    const token: FakeToken = {
      token: newInstallationToken(),
      installationId,
      createdAt,
      expiresAt: createdAt + this.tokenTtlMs,
      revoked: false,
      repositories,
      permissions,
      uses: 0,
    };
    this.tokens.push(token);
    return token;
  }

  findToken(value: string): FakeToken | undefined {
    return this.tokens.find((t) => t.token === value);
  }

  isLive(token: FakeToken): boolean {
    return !token.revoked && Date.now() < token.expiresAt;
  }

  /** Whether the token may see the repository: same installation, and within the token's repository list. */
  tokenCovers(token: FakeToken, repository: FakeRepository): boolean {
    if (token.installationId !== repository.installationId) return false;
    return token.repositories === undefined || token.repositories.includes(repository.fullName.toLowerCase());
  }

  // ---- branches and contents ------------------------------------------------

  /** The commit a branch points at, or undefined when the branch does not exist. */
  async branchSha(repository: FakeRepository, branch: string): Promise<string | undefined> {
    if (!repository.bareRepoPath) return repository.branches.get(branch);
    return revParse(repository.bareRepoPath, `refs/heads/${branch}`);
  }

  /** What `GET /contents/{path}` sees at `ref` (a branch, tag or sha; the default branch when undefined). */
  async lookupPath(repository: FakeRepository, path: string, ref: string | undefined): Promise<PathLookup> {
    const clean = path.replace(/^\/+|\/+$/g, "");
    if (repository.bareRepoPath) return lookupInGit(repository.bareRepoPath, ref ?? repository.defaultBranch, clean);
    if (ref !== undefined && ref !== repository.defaultBranch && !repository.branches.has(ref)) return { kind: "no-ref" };
    return lookupInMap(repository.files, clean);
  }

  /** Commits and changed files between the merge base of `base` and `head`, as `GET /pulls/{n}/files` lists them. */
  async compare(repository: FakeRepository, base: string, head: string): Promise<BranchComparison | undefined> {
    const bare = repository.bareRepoPath;
    if (!bare) return undefined;
    const baseSha = await revParse(bare, `refs/heads/${base}`);
    const headSha = await revParse(bare, `refs/heads/${head}`);
    if (!baseSha || !headSha) return undefined;
    const mergeBase = await gitText(bare, ["merge-base", baseSha, headSha]).then((s) => s.trim(), () => baseSha);
    const commits = Number((await gitText(bare, ["rev-list", "--count", `${mergeBase}..${headSha}`])).trim());
    return { commits, files: await changedFiles(bare, mergeBase, headSha) };
  }

  /** Whether `head` has commits `base` lacks: GitHub refuses a pull request with none. */
  async hasCommitsBeyond(repository: FakeRepository, base: string, head: string): Promise<boolean> {
    const bare = repository.bareRepoPath;
    if (!bare) return repository.branches.get(base) !== repository.branches.get(head);
    const count = await gitText(bare, ["rev-list", "--count", `refs/heads/${base}..refs/heads/${head}`]);
    return Number(count.trim()) > 0;
  }
}

function sameSubject(a: ReactionSubject, b: ReactionSubject): boolean {
  if (a.type === "issue" && b.type === "issue") return a.number === b.number;
  if (a.type === "issue_comment" && b.type === "issue_comment") return a.id === b.id;
  if (a.type === "review_comment" && b.type === "review_comment") return a.id === b.id;
  return false;
}

function lookupInMap(files: Map<string, string>, path: string): PathLookup {
  const content = path === "" ? undefined : files.get(path);
  if (content !== undefined) {
    const name = path.split("/").at(-1) ?? path;
    const data = Buffer.from(content);
    return { kind: "file", entry: { name, path, type: "file", sha: blobSha(data), size: data.length }, content: data };
  }
  const prefix = path === "" ? "" : `${path}/`;
  const children = new Map<string, TreeEntry>();
  for (const [filePath, fileContent] of files) {
    if (!filePath.startsWith(prefix)) continue;
    const rest = filePath.slice(prefix.length);
    const [name, ...deeper] = rest.split("/");
    if (!name) continue;
    const childPath = `${prefix}${name}`;
    if (deeper.length > 0) {
      children.set(name, { name, path: childPath, type: "dir", sha: fakeSha(`tree:${childPath}`), size: 0 });
    } else {
      children.set(name, { name, path: childPath, type: "file", sha: blobSha(fileContent), size: Buffer.byteLength(fileContent) });
    }
  }
  if (children.size === 0 && path !== "") return { kind: "missing" };
  return { kind: "dir", entries: [...children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
}

async function lookupInGit(bare: string, ref: string, path: string): Promise<PathLookup> {
  const commit = await revParse(bare, ref);
  if (!commit) return { kind: "no-ref" };
  if (path === "") return { kind: "dir", entries: await listTree(bare, commit, "") };
  const lines = parseLsTree(await gitText(bare, ["ls-tree", "-l", "-z", commit, "--", path]));
  const line = lines.find((l) => l.path === path);
  if (!line) return { kind: "missing" };
  const entry = toEntry(line, "");
  switch (entry.type) {
    case "dir":
      return { kind: "dir", entries: await listTree(bare, commit, path) };
    case "submodule":
      return { kind: "submodule", entry };
    case "symlink":
      return { kind: "symlink", entry, target: (await gitBuffer(bare, ["cat-file", "blob", entry.sha])).toString("utf8") };
    case "file":
      return { kind: "file", entry, content: await gitBuffer(bare, ["cat-file", "blob", entry.sha]) };
  }
}

async function listTree(bare: string, commit: string, path: string): Promise<TreeEntry[]> {
  const treeish = path === "" ? commit : `${commit}:${path}`;
  const prefix = path === "" ? "" : `${path}/`;
  return parseLsTree(await gitText(bare, ["ls-tree", "-l", "-z", treeish])).map((line) => toEntry(line, prefix));
}

interface LsTreeLine {
  mode: string;
  objectType: string;
  sha: string;
  size: number;
  path: string;
}

function parseLsTree(output: string): LsTreeLine[] {
  return output
    .split("\0")
    .filter(Boolean)
    .flatMap((record) => {
      const match = /^(\d+) (\w+) ([0-9a-f]+)\s+(-|\d+)\t(.*)$/s.exec(record);
      if (!match) return [];
      const [, mode = "", objectType = "", sha = "", size = "-", path = ""] = match;
      return [{ mode, objectType, sha, size: size === "-" ? 0 : Number(size), path }];
    });
}

function toEntry(line: LsTreeLine, prefix: string): TreeEntry {
  const type: TreeEntry["type"] =
    line.objectType === "tree" ? "dir" : line.objectType === "commit" ? "submodule" : line.mode === "120000" ? "symlink" : "file";
  const path = `${prefix}${line.path}`;
  return { name: path.split("/").at(-1) ?? path, path, type, sha: line.sha, size: type === "dir" || type === "submodule" ? 0 : line.size };
}

async function changedFiles(bare: string, from: string, to: string): Promise<ChangedFile[]> {
  const numstat = (await gitText(bare, ["diff", "--numstat", "-z", "-M", from, to])).split("\0");
  const statuses = (await gitText(bare, ["diff", "--name-status", "-z", "-M", from, to])).split("\0");
  const counts = new Map<string, { additions: number; deletions: number }>();
  // With -z, a rename's numstat is "adds\tdels\t" then old path and new path as separate fields.
  for (let i = 0; i < numstat.length; i++) {
    const match = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(numstat[i] ?? "");
    if (!match) continue;
    const [, adds = "-", dels = "-", path = ""] = match;
    const target = path === "" ? numstat[(i += 2)] ?? "" : path;
    counts.set(target, { additions: adds === "-" ? 0 : Number(adds), deletions: dels === "-" ? 0 : Number(dels) });
  }
  const files: ChangedFile[] = [];
  for (let i = 0; i < statuses.length; i++) {
    const code = statuses[i] ?? "";
    if (!code) continue;
    const letter = code[0];
    const renamed = letter === "R" || letter === "C";
    const previous = renamed ? statuses[++i] : undefined;
    const filename = statuses[++i] ?? "";
    const status: ChangedFile["status"] =
      letter === "A" ? "added" : letter === "D" ? "removed" : letter === "R" ? "renamed" : letter === "C" ? "copied" : letter === "M" ? "modified" : "changed";
    const count = counts.get(filename) ?? { additions: 0, deletions: 0 };
    const patch = await gitText(bare, ["diff", "-M", from, to, "--", ...(previous ? [previous] : []), filename]);
    const hunks = patch.indexOf("\n@@");
    const blob = status === "removed" ? null : ((await revParse(bare, `${to}:${filename}`)) ?? null);
    files.push({
      filename,
      previousFilename: previous,
      status,
      ...count,
      sha: blob,
      patch: hunks === -1 ? undefined : patch.slice(hunks + 1).replace(/\n$/, ""),
    });
  }
  return files;
}

async function revParse(bare: string, ref: string): Promise<string | undefined> {
  try {
    return (await gitText(bare, ["rev-parse", "--verify", "--quiet", `${ref}^{object}`])).trim() || undefined;
  } catch {
    return undefined;
  }
}

const GIT_ENV = { ...process.env, GIT_LITERAL_PATHSPECS: "1", GIT_TERMINAL_PROMPT: "0" };

async function gitText(bare: string, args: string[]): Promise<string> {
  const { stdout } = await exec("git", ["--git-dir", bare, ...args], { env: GIT_ENV, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

async function gitBuffer(bare: string, args: string[]): Promise<Buffer> {
  const { stdout } = await exec("git", ["--git-dir", bare, ...args], { env: GIT_ENV, encoding: "buffer", maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}
