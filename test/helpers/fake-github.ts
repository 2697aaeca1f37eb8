import type {
  Comment,
  DirectoryEntry,
  GitHubPort,
  IssueComment,
  IssueDetails,
  NewPullRequest,
  Permission,
  PullRequest,
  ReactionContent,
  Review,
  ReviewComment,
  ChangedFile,
} from "../../src/github/port.js";
import type { ReactionTarget } from "../../src/triggers/trigger.js";

/**
 * An in-memory GitHub for one repository: files on the default branch,
 * collaborator permissions, and every comment and reaction planwright made.
 */
export class FakeGitHub implements GitHubPort {
  files = new Map<string, string>();
  permissions = new Map<string, Permission>();
  comments: Array<Comment & { issueNumber: number }> = [];
  reactions: Array<{ target: ReactionTarget; content: ReactionContent }> = [];
  permissionLookups: string[] = [];
  issues = new Map<number, IssueDetails>();
  /** Comments written by people (planwright's own go to `comments`). */
  discussion = new Map<number, IssueComment[]>();
  pulls: PullRequest[] = [];
  labels = new Map<number, string[]>();
  reviews = new Map<number, Review[]>();
  reviewComments = new Map<number, ReviewComment[]>();
  pullFiles = new Map<number, ChangedFile[]>();
  replies: Array<{ pullNumber: number; commentId: number; body: string }> = [];
  reviewRequests: Array<{ pullNumber: number; logins: string[] }> = [];
  /** Every draft change asked for, in order, whether or not it changed anything. */
  draftChanges: Array<{ pullNumber: number; draft: boolean }> = [];
  /** Make the next calls of a method fail, as GitHub sometimes does. */
  failing = new Set<keyof GitHubPort>();
  private nextId = 1000;

  async getPermission(username: string): Promise<Permission> {
    this.check("getPermission");
    this.permissionLookups.push(username);
    return this.permissions.get(username) ?? "none";
  }

  async addReaction(target: ReactionTarget, content: ReactionContent): Promise<void> {
    this.check("addReaction");
    this.reactions.push({ target, content });
  }

  async createComment(issueNumber: number, body: string): Promise<Comment> {
    this.check("createComment");
    const comment = { id: this.nextId++, body, url: `https://github.com/o/r/issues/${issueNumber}#c`, issueNumber };
    this.comments.push(comment);
    return comment;
  }

  async updateComment(commentId: number, body: string): Promise<void> {
    this.check("updateComment");
    const comment = this.comments.find((c) => c.id === commentId);
    if (!comment) throw Object.assign(new Error("Not Found"), { status: 404 });
    comment.body = body;
  }

  async findComment(issueNumber: number, marker: string): Promise<Comment | undefined> {
    this.check("findComment");
    return this.comments.filter((c) => c.issueNumber === issueNumber && c.body.includes(marker)).at(-1);
  }

  async readFile(path: string): Promise<string | undefined> {
    this.check("readFile");
    return this.files.get(path);
  }

  async listDirectory(path: string): Promise<DirectoryEntry[]> {
    this.check("listDirectory");
    const prefix = `${path.replace(/\/$/, "")}/`;
    return [...this.files.keys()]
      .filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes("/"))
      .map((p) => ({ name: p.slice(prefix.length), path: p, type: "file" as const }));
  }

  async getIssue(number: number): Promise<IssueDetails> {
    this.check("getIssue");
    const issue = this.issues.get(number);
    if (!issue) throw Object.assign(new Error("Not Found"), { status: 404 });
    return issue;
  }

  async listIssueComments(number: number): Promise<IssueComment[]> {
    this.check("listIssueComments");
    const own = this.comments
      .filter((c) => c.issueNumber === number)
      .map((c) => ({ id: c.id, author: "planwright[bot]", authorType: "Bot", body: c.body, createdAt: "", updatedAt: "" }));
    return [...(this.discussion.get(number) ?? []), ...own];
  }

  async findPullRequest(branch: string): Promise<PullRequest | undefined> {
    this.check("findPullRequest");
    // GitHub is asked for `owner:branch`, which leaves forks' same-named branches out.
    const matching = this.pulls.filter((p) => p.headRef === branch && !p.crossRepository).reverse();
    return matching.find((p) => p.state === "open") ?? matching[0];
  }

  async listOpenPullRequests(headPrefix: string): Promise<PullRequest[]> {
    this.check("listOpenPullRequests");
    return this.pulls.filter((p) => p.state === "open" && p.headRef.startsWith(headPrefix));
  }

  async createPullRequest(request: NewPullRequest): Promise<PullRequest> {
    this.check("createPullRequest");
    if (this.pulls.some((p) => p.headRef === request.head && !p.crossRepository && p.state === "open")) {
      throw Object.assign(new Error("Validation Failed: A pull request already exists"), { status: 422 });
    }
    const number = 100 + this.pulls.length;
    const pull: PullRequest = {
      number,
      nodeId: `PR_fake${number}`,
      url: `https://github.com/o/r/pull/${number}`,
      state: "open",
      merged: false,
      draft: request.draft,
      headRef: request.head,
      headSha: "",
      crossRepository: false,
      baseRef: request.base,
      title: request.title,
      body: request.body,
      author: "planwright[bot]",
    };
    this.pulls.push(pull);
    return pull;
  }

  async updatePullRequest(number: number, change: { title?: string; body?: string }): Promise<void> {
    this.check("updatePullRequest");
    const pull = this.pulls.find((p) => p.number === number);
    if (!pull) throw Object.assign(new Error("Not Found"), { status: 404 });
    Object.assign(pull, change);
  }

  async setPullRequestDraft(pullRequest: Pick<PullRequest, "number" | "nodeId">, draft: boolean): Promise<void> {
    this.check("setPullRequestDraft");
    // GraphQL knows the pull request only by its node id; a stale or made-up one must not find it.
    const pull = this.pulls.find((p) => p.nodeId === pullRequest.nodeId);
    if (!pull || pull.number !== pullRequest.number) {
      throw new Error(`Could not resolve to a node with the global id of '${pullRequest.nodeId}'`);
    }
    this.draftChanges.push({ pullNumber: pull.number, draft });
    pull.draft = draft;
  }

  async addLabels(number: number, labels: readonly string[]): Promise<void> {
    this.check("addLabels");
    this.labels.set(number, [...new Set([...(this.labels.get(number) ?? []), ...labels])]);
  }

  async getPullRequest(number: number): Promise<PullRequest> {
    this.check("getPullRequest");
    const pull = this.pulls.find((p) => p.number === number);
    if (!pull) throw Object.assign(new Error("Not Found"), { status: 404 });
    return pull;
  }

  async listReviews(pullNumber: number): Promise<Review[]> {
    this.check("listReviews");
    return this.reviews.get(pullNumber) ?? [];
  }

  async listReviewComments(pullNumber: number): Promise<ReviewComment[]> {
    this.check("listReviewComments");
    return this.reviewComments.get(pullNumber) ?? [];
  }

  async listPullRequestFiles(pullNumber: number): Promise<ChangedFile[]> {
    this.check("listPullRequestFiles");
    return this.pullFiles.get(pullNumber) ?? [];
  }

  async replyToReviewComment(pullNumber: number, commentId: number, body: string): Promise<void> {
    this.check("replyToReviewComment");
    this.replies.push({ pullNumber, commentId, body });
  }

  async requestReviewers(pullNumber: number, logins: readonly string[]): Promise<void> {
    this.check("requestReviewers");
    this.reviewRequests.push({ pullNumber, logins: [...logins] });
  }

  commentsOn(issueNumber: number): string[] {
    return this.comments.filter((c) => c.issueNumber === issueNumber).map((c) => c.body);
  }

  private check(method: keyof GitHubPort): void {
    if (this.failing.has(method)) throw Object.assign(new Error(`${method} failed: Bad Gateway`), { status: 502 });
  }
}
