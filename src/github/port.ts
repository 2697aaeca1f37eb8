import type { ReactionTarget } from "../triggers/trigger.js";

/** GitHub's repository permission levels, lowest first. */
export const PERMISSION_ORDER = ["none", "read", "triage", "write", "maintain", "admin"] as const;
export type Permission = (typeof PERMISSION_ORDER)[number];

export type ReactionContent = "eyes" | "+1" | "confused" | "rocket";

export interface Comment {
  id: number;
  body: string;
  url: string;
}

export interface DirectoryEntry {
  name: string;
  path: string;
  type: "file" | "dir" | "symlink" | "submodule";
}

/**
 * Everything planwright asks of GitHub for one repository, behind an interface
 * so the pipeline, the CLI and the tests can plug in something else.
 * Implementations throw `GitHubAPIError` with the HTTP status on failure.
 */
export interface GitHubPort {
  /** The actor's permission on the repository; `none` when they are not a collaborator. */
  getPermission(username: string): Promise<Permission>;
  addReaction(target: ReactionTarget, content: ReactionContent): Promise<void>;
  createComment(issueNumber: number, body: string): Promise<Comment>;
  updateComment(commentId: number, body: string): Promise<void>;
  /** The newest comment on the issue whose body contains `marker`. */
  findComment(issueNumber: number, marker: string): Promise<Comment | undefined>;
  /** A text file from the default branch; undefined when it does not exist. */
  readFile(path: string): Promise<string | undefined>;
  /** Entries of a directory on the default branch; empty when it does not exist. */
  listDirectory(path: string): Promise<DirectoryEntry[]>;
}

export function permissionAtLeast(actual: Permission, required: Permission): boolean {
  return PERMISSION_ORDER.indexOf(actual) >= PERMISSION_ORDER.indexOf(required);
}
