import type { ProbotOctokit } from "probot";
import { GitHubAPIError, statusOf } from "../errors.js";
import type { Comment, DirectoryEntry, GitHubPort, Permission, PullRequest, ReviewComment } from "./port.js";
import { PERMISSION_ORDER } from "./port.js";

export type Octokit = InstanceType<typeof ProbotOctokit>;

export interface RepoCoordinates {
  owner: string;
  repo: string;
}

/** The GitHub implementation of the port, for one repository and installation. */
export function createOctokitGitHubPort(octokit: Octokit, coordinates: RepoCoordinates): GitHubPort {
  const { owner, repo } = coordinates;

  async function call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw GitHubAPIError.wrap(`${action} on ${owner}/${repo}`, error);
    }
  }

  return {
    async getPermission(username) {
      try {
        const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username });
        // `permission` folds maintain into write and triage into read; `role_name` keeps them apart.
        const role = (data as { role_name?: string }).role_name;
        if (role && (PERMISSION_ORDER as readonly string[]).includes(role)) return role as Permission;
        return (PERMISSION_ORDER as readonly string[]).includes(data.permission) ? (data.permission as Permission) : "none";
      } catch (error) {
        // GitHub answers 404 for users who are not collaborators at all.
        if (statusOf(error) === 404) return "none";
        throw GitHubAPIError.wrap(`reading @${username}'s permission on ${owner}/${repo}`, error);
      }
    },

    async addReaction(target, content) {
      await call(`adding a ${content} reaction`, async () => {
        switch (target.type) {
          case "issue":
            await octokit.rest.reactions.createForIssue({ owner, repo, issue_number: target.number, content });
            return;
          case "issue_comment":
            await octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: target.commentId, content });
            return;
          case "review_comment":
            await octokit.rest.reactions.createForPullRequestReviewComment({
              owner,
              repo,
              comment_id: target.commentId,
              content,
            });
            return;
          case "none":
            return;
        }
      });
    },

    async createComment(issueNumber, body) {
      const { data } = await call(`commenting on #${issueNumber}`, () =>
        octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body }),
      );
      return { id: data.id, body: data.body ?? body, url: data.html_url };
    },

    async updateComment(commentId, body) {
      await call(`updating comment ${commentId}`, () =>
        octokit.rest.issues.updateComment({ owner, repo, comment_id: commentId, body }),
      );
    },

    async findComment(issueNumber, marker) {
      const comments = await call(`listing comments of #${issueNumber}`, () =>
        octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: issueNumber, per_page: 100 }),
      );
      let found: Comment | undefined;
      for (const c of comments) {
        if (c.body?.includes(marker)) found = { id: c.id, body: c.body, url: c.html_url };
      }
      return found;
    },

    async readFile(path) {
      try {
        const { data } = await octokit.rest.repos.getContent({ owner, repo, path });
        if (Array.isArray(data) || data.type !== "file" || !("content" in data)) return undefined;
        return Buffer.from(data.content, (data.encoding as BufferEncoding | undefined) ?? "base64").toString("utf8");
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw GitHubAPIError.wrap(`reading ${path} from ${owner}/${repo}`, error);
      }
    },

    async listDirectory(path) {
      try {
        const { data } = await octokit.rest.repos.getContent({ owner, repo, path });
        if (!Array.isArray(data)) return [];
        return data.map((entry): DirectoryEntry => ({ name: entry.name, path: entry.path, type: entry.type as DirectoryEntry["type"] }));
      } catch (error) {
        if (statusOf(error) === 404) return [];
        throw GitHubAPIError.wrap(`listing ${path} in ${owner}/${repo}`, error);
      }
    },

    async getIssue(number) {
      const { data } = await call(`reading #${number}`, () => octokit.rest.issues.get({ owner, repo, issue_number: number }));
      return {
        number: data.number,
        title: data.title,
        body: data.body ?? "",
        state: data.state === "closed" ? "closed" : "open",
        author: data.user?.login ?? "ghost",
        isPullRequest: Boolean(data.pull_request),
      };
    },

    async listIssueComments(number) {
      const comments = await call(`listing comments of #${number}`, () =>
        octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: number, per_page: 100 }),
      );
      return comments.map((c) => ({
        id: c.id,
        author: c.user?.login ?? "ghost",
        authorType: c.user?.type ?? "User",
        body: c.body ?? "",
        createdAt: c.created_at,
        updatedAt: c.updated_at,
      }));
    },

    async findPullRequest(branch) {
      const { data } = await call(`finding the pull request for ${branch}`, () =>
        octokit.rest.pulls.list({ owner, repo, head: `${owner}:${branch}`, state: "all", per_page: 20 }),
      );
      const pulls = data.map(toPullRequest);
      return pulls.find((p) => p.state === "open") ?? pulls[0];
    },

    async listOpenPullRequests(headPrefix) {
      const pulls = await call("listing open pull requests", () =>
        octokit.paginate(octokit.rest.pulls.list, { owner, repo, state: "open", per_page: 100 }),
      );
      return pulls.map(toPullRequest).filter((p) => p.headRef.startsWith(headPrefix));
    },

    async createPullRequest(request) {
      const { data } = await call(`opening a pull request from ${request.head}`, () =>
        octokit.rest.pulls.create({ owner, repo, ...request }),
      );
      return toPullRequest(data);
    },

    async updatePullRequest(number, change) {
      await call(`updating pull request #${number}`, () => octokit.rest.pulls.update({ owner, repo, pull_number: number, ...change }));
    },

    async setPullRequestDraft(pullRequest, draft) {
      const mutation = draft ? "convertPullRequestToDraft" : "markPullRequestReadyForReview";
      const action = draft ? `converting pull request #${pullRequest.number} to a draft` : `marking pull request #${pullRequest.number} ready for review`;
      const data = await call(action, () =>
        octokit.graphql<Record<string, { pullRequest: { isDraft: boolean } | null } | null>>(
          `mutation ($pullRequestId: ID!) {\n  ${mutation}(input: { pullRequestId: $pullRequestId }) {\n    pullRequest { isDraft }\n  }\n}`,
          { pullRequestId: pullRequest.nodeId },
        ),
      );
      const isDraft = data[mutation]?.pullRequest?.isDraft;
      // A 200 without errors that still reports the old state would otherwise be taken for success.
      if (isDraft !== draft) {
        throw new GitHubAPIError(`GitHub API: ${action} on ${owner}/${repo} failed: GitHub answered isDraft=${String(isDraft)}`, undefined);
      }
    },

    async getPullRequest(number) {
      const { data } = await call(`reading pull request #${number}`, () => octokit.rest.pulls.get({ owner, repo, pull_number: number }));
      return toPullRequest(data);
    },

    async listReviews(pullNumber) {
      const reviews = await call(`listing reviews of #${pullNumber}`, () =>
        octokit.paginate(octokit.rest.pulls.listReviews, { owner, repo, pull_number: pullNumber, per_page: 100 }),
      );
      return reviews.map((r) => ({
        id: r.id,
        author: r.user?.login ?? "ghost",
        state: r.state,
        body: r.body ?? "",
        submittedAt: r.submitted_at ?? "",
      }));
    },

    async listReviewComments(pullNumber) {
      const comments = await call(`listing review comments of #${pullNumber}`, () =>
        octokit.paginate(octokit.rest.pulls.listReviewComments, { owner, repo, pull_number: pullNumber, per_page: 100 }),
      );
      return comments.map(
        (c): ReviewComment => ({
          id: c.id,
          reviewId: c.pull_request_review_id ?? null,
          author: c.user?.login ?? "ghost",
          body: c.body,
          path: c.path,
          line: c.line ?? null,
          diffHunk: c.diff_hunk,
          createdAt: c.created_at,
          updatedAt: c.updated_at,
          inReplyToId: c.in_reply_to_id ?? null,
        }),
      );
    },

    async listPullRequestFiles(pullNumber) {
      const files = await call(`listing files of #${pullNumber}`, () =>
        octokit.paginate(octokit.rest.pulls.listFiles, { owner, repo, pull_number: pullNumber, per_page: 100 }),
      );
      return files.map((f) => ({ path: f.filename, status: f.status, additions: f.additions, deletions: f.deletions }));
    },

    async replyToReviewComment(pullNumber, commentId, body) {
      await call(`replying to review comment ${commentId}`, () =>
        octokit.rest.pulls.createReplyForReviewComment({ owner, repo, pull_number: pullNumber, comment_id: commentId, body }),
      );
    },

    async requestReviewers(pullNumber, logins) {
      if (logins.length === 0) return;
      await call(`requesting review on #${pullNumber}`, () =>
        octokit.rest.pulls.requestReviewers({ owner, repo, pull_number: pullNumber, reviewers: [...logins] }),
      );
    },

    async addLabels(number, labels) {
      if (labels.length === 0) return;
      await call(`labelling #${number}`, () => octokit.rest.issues.addLabels({ owner, repo, issue_number: number, labels: [...labels] }));
    },
  };
}

interface PullLike {
  number: number;
  node_id: string;
  html_url: string;
  state: string;
  merged_at?: string | null;
  draft?: boolean;
  head: { ref: string; sha: string; repo: { full_name: string } | null };
  base: { ref: string; repo: { full_name: string } };
  title: string;
  body: string | null;
  user: { login: string } | null;
}

function toPullRequest(data: PullLike): PullRequest {
  return {
    number: data.number,
    nodeId: data.node_id,
    url: data.html_url,
    state: data.state === "closed" ? "closed" : "open",
    merged: Boolean(data.merged_at),
    draft: Boolean(data.draft),
    headRef: data.head.ref,
    headSha: data.head.sha,
    crossRepository: !sameRepository(data.head.repo, data.base.repo),
    baseRef: data.base.ref,
    title: data.title,
    body: data.body ?? "",
    author: data.user?.login ?? "ghost",
  };
}

// GitHub sends no head repository once a fork is deleted; such a head is not this repository's either.
function sameRepository(head: { full_name: string } | null, base: { full_name: string }): boolean {
  return head?.full_name.toLowerCase() === base.full_name.toLowerCase();
}
