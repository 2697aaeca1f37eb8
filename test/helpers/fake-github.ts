import type { Comment, DirectoryEntry, GitHubPort, Permission, ReactionContent } from "../../src/github/port.js";
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

  commentsOn(issueNumber: number): string[] {
    return this.comments.filter((c) => c.issueNumber === issueNumber).map((c) => c.body);
  }

  private check(method: keyof GitHubPort): void {
    if (this.failing.has(method)) throw Object.assign(new Error(`${method} failed: Bad Gateway`), { status: 502 });
  }
}
