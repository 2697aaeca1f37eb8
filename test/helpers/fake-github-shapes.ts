import type { RestEndpointMethodTypes } from "@octokit/rest";
import type { Permission } from "../../src/github/port.js";
import { PERMISSION_ORDER } from "../../src/github/port.js";
import type {
  ChangedFile,
  FakeAccount,
  FakeGitHubState,
  FakeInstallation,
  FakeIssue,
  FakeIssueComment,
  FakeLabel,
  FakePullRequest,
  FakeReaction,
  FakeRepository,
  FakeReview,
  FakeReviewComment,
  FakeToken,
  TreeEntry,
} from "./fake-github-state.js";
import { isoSeconds } from "./fake-github-state.js";

/*
 * GitHub's REST response bodies, built from the fake's state. Each builder is
 * typed with the response type octokit itself declares (from GitHub's OpenAPI
 * description), so a missing or mistyped field fails the type check instead
 * of surprising planwright at runtime.
 */

type Rest = RestEndpointMethodTypes;
export type SimpleUserJson = Rest["pulls"]["get"]["response"]["data"]["user"];
export type FullRepositoryJson = Rest["repos"]["get"]["response"]["data"];
export type RepositoryJson = Rest["pulls"]["get"]["response"]["data"]["head"]["repo"];
export type IssueJson = Rest["issues"]["get"]["response"]["data"];
export type IssueCommentJson = Rest["issues"]["getComment"]["response"]["data"];
export type PullRequestJson = Rest["pulls"]["get"]["response"]["data"];
export type PullRequestSimpleJson = Rest["pulls"]["list"]["response"]["data"][number];
export type ReviewCommentJson = Rest["pulls"]["getReviewComment"]["response"]["data"];
export type ReviewJson = Rest["pulls"]["getReview"]["response"]["data"];
export type ReactionJson = Rest["reactions"]["createForIssue"]["response"]["data"];
export type LabelJson = Rest["issues"]["addLabels"]["response"]["data"][number];
export type DiffEntryJson = Rest["pulls"]["listFiles"]["response"]["data"][number];
export type ContentJson = Rest["repos"]["getContent"]["response"]["data"];
export type CollaboratorPermissionJson = Rest["repos"]["getCollaboratorPermissionLevel"]["response"]["data"];
export type IntegrationJson = NonNullable<Rest["apps"]["getAuthenticated"]["response"]["data"]>;
export type InstallationJson = Rest["apps"]["getRepoInstallation"]["response"]["data"];
export type InstallationTokenJson = Rest["apps"]["createInstallationAccessToken"]["response"]["data"];
type AuthorAssociation = IssueCommentJson["author_association"] & string;

function nodeId(kind: string, id: number): string {
  return Buffer.from(`${kind}:${id}`).toString("base64").replace(/=+$/, "");
}

/** The legacy `permission` GitHub reports next to `role_name`: maintain reads as write, triage as read. */
export function legacyPermission(role: string): "admin" | "write" | "read" | "none" {
  switch (role) {
    case "admin":
      return "admin";
    case "maintain":
    case "write":
      return "write";
    case "triage":
    case "read":
      return "read";
    default:
      return "none";
  }
}

export class GitHubShapes {
  constructor(private readonly state: FakeGitHubState) {}

  private get web(): string {
    return this.state.urls.web;
  }

  private get api(): string {
    return this.state.urls.api;
  }

  user(login: string): SimpleUserJson {
    return this.accountJson(this.state.account(login));
  }

  accountJson(account: FakeAccount): SimpleUserJson {
    const { login, id, type } = account;
    const apiUser = `${this.api}/users/${encodeURIComponent(login)}`;
    return {
      login,
      id,
      node_id: nodeId(type === "Bot" ? "Bot" : "User", id),
      avatar_url: `${this.web}/avatars/u/${id}?v=4`,
      gravatar_id: "",
      url: apiUser,
      // A bot's profile is its app's page.
      html_url: type === "Bot" ? `${this.web}/apps/${login.replace(/\[bot\]$/, "")}` : `${this.web}/${login}`,
      followers_url: `${apiUser}/followers`,
      following_url: `${apiUser}/following{/other_user}`,
      gists_url: `${apiUser}/gists{/gist_id}`,
      starred_url: `${apiUser}/starred{/owner}{/repo}`,
      subscriptions_url: `${apiUser}/subscriptions`,
      organizations_url: `${apiUser}/orgs`,
      repos_url: `${apiUser}/repos`,
      events_url: `${apiUser}/events{/privacy}`,
      received_events_url: `${apiUser}/received_events`,
      type,
      user_view_type: "public",
      site_admin: false,
    };
  }

  authorAssociation(repository: FakeRepository, login: string): AuthorAssociation {
    if (repository.owner.toLowerCase() === login.toLowerCase()) return "OWNER";
    if (repository.collaborators.has(login.toLowerCase())) return "COLLABORATOR";
    return "NONE";
  }

  integration(): IntegrationJson {
    const { app } = this.state;
    const created = isoSeconds(Date.parse("2024-01-01T00:00:00Z"));
    return {
      id: app.id,
      slug: app.slug,
      node_id: nodeId("Integration", app.id),
      client_id: app.clientId,
      owner: this.user(app.owner),
      name: app.name,
      description: "planwright end-to-end test app",
      external_url: `${this.web}/${app.owner}`,
      html_url: `${this.web}/apps/${app.slug}`,
      created_at: created,
      updated_at: created,
      permissions: { contents: "write", issues: "write", pull_requests: "write", metadata: "read" },
      events: ["issues", "issue_comment", "pull_request_review", "pull_request_review_comment"],
      installations_count: this.state.installations.size,
    };
  }

  installation(installation: FakeInstallation): InstallationJson {
    const account = this.state.account(installation.account);
    return {
      id: installation.id,
      account: this.accountJson(account),
      repository_selection: "all",
      access_tokens_url: `${this.api}/app/installations/${installation.id}/access_tokens`,
      repositories_url: `${this.api}/installation/repositories`,
      html_url: `${this.web}/${account.type === "Organization" ? `organizations/${account.login}/` : ""}settings/installations/${installation.id}`,
      app_id: this.state.app.id,
      client_id: this.state.app.clientId,
      target_id: account.id,
      target_type: account.type === "Organization" ? "Organization" : "User",
      permissions: installation.permissions,
      events: ["issues", "issue_comment", "pull_request_review", "pull_request_review_comment"],
      created_at: installation.createdAt,
      updated_at: installation.createdAt,
      single_file_name: null,
      has_multiple_single_files: false,
      single_file_paths: [],
      app_slug: this.state.app.slug,
      suspended_by: null,
      suspended_at: null,
    };
  }

  installationToken(token: FakeToken): InstallationTokenJson {
    const repositories = token.repositories
      ?.map((name) => this.state.repositories.get(name))
      .filter((r): r is FakeRepository => r !== undefined)
      .map((r) => this.repository(r));
    return {
      token: token.token,
      // Reported to the second, never later than the moment the fake starts refusing it.
      expires_at: isoSeconds(token.expiresAt),
      permissions: token.permissions,
      repository_selection: token.repositories ? "selected" : "all",
      ...(repositories ? { repositories } : {}),
    };
  }

  /** The `repository` schema: what pull requests embed as `head.repo` and `base.repo`. */
  repository(repository: FakeRepository): RepositoryJson {
    const { owner, name, fullName } = repository;
    const apiRepo = `${this.api}/repos/${owner}/${name}`;
    const host = new URL(this.web).host;
    return {
      id: repository.id,
      node_id: nodeId("Repository", repository.id),
      name,
      full_name: fullName,
      owner: this.accountJson(this.state.account(owner)),
      private: repository.private,
      html_url: repository.htmlUrl,
      description: repository.description,
      fork: false,
      url: apiRepo,
      archive_url: `${apiRepo}/{archive_format}{/ref}`,
      assignees_url: `${apiRepo}/assignees{/user}`,
      blobs_url: `${apiRepo}/git/blobs{/sha}`,
      branches_url: `${apiRepo}/branches{/branch}`,
      collaborators_url: `${apiRepo}/collaborators{/collaborator}`,
      comments_url: `${apiRepo}/comments{/number}`,
      commits_url: `${apiRepo}/commits{/sha}`,
      compare_url: `${apiRepo}/compare/{base}...{head}`,
      contents_url: `${apiRepo}/contents/{+path}`,
      contributors_url: `${apiRepo}/contributors`,
      deployments_url: `${apiRepo}/deployments`,
      downloads_url: `${apiRepo}/downloads`,
      events_url: `${apiRepo}/events`,
      forks_url: `${apiRepo}/forks`,
      git_commits_url: `${apiRepo}/git/commits{/sha}`,
      git_refs_url: `${apiRepo}/git/refs{/sha}`,
      git_tags_url: `${apiRepo}/git/tags{/sha}`,
      git_url: `git://${host}/${fullName}.git`,
      issue_comment_url: `${apiRepo}/issues/comments{/number}`,
      issue_events_url: `${apiRepo}/issues/events{/number}`,
      issues_url: `${apiRepo}/issues{/number}`,
      keys_url: `${apiRepo}/keys{/key_id}`,
      labels_url: `${apiRepo}/labels{/name}`,
      languages_url: `${apiRepo}/languages`,
      merges_url: `${apiRepo}/merges`,
      milestones_url: `${apiRepo}/milestones{/number}`,
      notifications_url: `${apiRepo}/notifications{?since,all,participating}`,
      pulls_url: `${apiRepo}/pulls{/number}`,
      releases_url: `${apiRepo}/releases{/id}`,
      ssh_url: `git@${host}:${fullName}.git`,
      stargazers_url: `${apiRepo}/stargazers`,
      statuses_url: `${apiRepo}/statuses/{sha}`,
      subscribers_url: `${apiRepo}/subscribers`,
      subscription_url: `${apiRepo}/subscription`,
      tags_url: `${apiRepo}/tags`,
      teams_url: `${apiRepo}/teams`,
      trees_url: `${apiRepo}/git/trees{/sha}`,
      clone_url: repository.cloneUrl,
      mirror_url: null,
      hooks_url: `${apiRepo}/hooks`,
      svn_url: repository.htmlUrl,
      homepage: null,
      language: null,
      forks_count: 0,
      stargazers_count: 0,
      watchers_count: 0,
      size: 0,
      default_branch: repository.defaultBranch,
      open_issues_count: this.openIssueCount(repository),
      is_template: false,
      topics: [],
      has_issues: true,
      has_projects: true,
      has_wiki: true,
      has_pages: false,
      has_downloads: true,
      has_discussions: false,
      archived: false,
      disabled: false,
      visibility: repository.private ? "private" : "public",
      pushed_at: repository.createdAt,
      created_at: repository.createdAt,
      updated_at: repository.createdAt,
      allow_forking: true,
      web_commit_signoff_required: false,
      license: null,
      forks: 0,
      open_issues: this.openIssueCount(repository),
      watchers: 0,
    };
  }

  fullRepository(repository: FakeRepository): FullRepositoryJson {
    const base = this.repository(repository);
    return {
      ...base,
      pushed_at: repository.createdAt,
      created_at: repository.createdAt,
      updated_at: repository.createdAt,
      has_discussions: false,
      // An installation token sees the repository with the app's own access.
      permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
      allow_rebase_merge: true,
      allow_squash_merge: true,
      allow_merge_commit: true,
      allow_auto_merge: false,
      delete_branch_on_merge: false,
      allow_update_branch: false,
      use_squash_pr_title_as_default: false,
      squash_merge_commit_title: "COMMIT_OR_PR_TITLE",
      squash_merge_commit_message: "COMMIT_MESSAGES",
      merge_commit_title: "MERGE_MESSAGE",
      merge_commit_message: "PR_TITLE",
      temp_clone_token: "",
      subscribers_count: 0,
      network_count: 0,
      ...(repository.ownerType === "Organization" ? { organization: this.user(repository.owner) } : {}),
    };
  }

  private openIssueCount(repository: FakeRepository): number {
    const open = (i: FakeIssue) => i.repo === repository.fullName && i.state === "open";
    return this.state.issues.filter(open).length + this.state.pullRequests.filter(open).length;
  }

  label(repository: FakeRepository, label: FakeLabel): LabelJson {
    return {
      id: label.id,
      node_id: nodeId("Label", label.id),
      url: `${this.api}/repos/${repository.fullName}/labels/${encodeURIComponent(label.name)}`,
      name: label.name,
      description: label.description,
      color: label.color,
      default: false,
    };
  }

  labelsOf(repository: FakeRepository, issue: FakeIssue): LabelJson[] {
    return issue.labels.map((name) => this.label(repository, this.state.label(repository, name)));
  }

  issue(repository: FakeRepository, issue: FakeIssue | FakePullRequest): IssueJson {
    const apiIssue = `${this.api}/repos/${repository.fullName}/issues/${issue.number}`;
    const pull = this.state.isPullRequest(issue) ? issue : undefined;
    const apiPull = `${this.api}/repos/${repository.fullName}/pulls/${issue.number}`;
    return {
      id: issue.id,
      node_id: nodeId(pull ? "PullRequest" : "Issue", issue.id),
      url: apiIssue,
      repository_url: `${this.api}/repos/${repository.fullName}`,
      labels_url: `${apiIssue}/labels{/name}`,
      comments_url: `${apiIssue}/comments`,
      events_url: `${apiIssue}/events`,
      html_url: issue.htmlUrl,
      number: issue.number,
      state: issue.state,
      state_reason: issue.state === "closed" ? "completed" : null,
      title: issue.title,
      body: issue.body,
      user: this.user(issue.user),
      labels: this.labelsOf(repository, issue),
      assignee: issue.assignees[0] === undefined ? null : this.user(issue.assignees[0]),
      assignees: issue.assignees.map((a) => this.user(a)),
      milestone: null,
      locked: issue.locked,
      active_lock_reason: null,
      comments: this.state.comments.filter((c) => c.repo === repository.fullName && c.issueNumber === issue.number).length,
      ...(pull
        ? {
            pull_request: {
              url: apiPull,
              html_url: pull.htmlUrl,
              diff_url: `${pull.htmlUrl}.diff`,
              patch_url: `${pull.htmlUrl}.patch`,
              merged_at: null,
            },
            draft: pull.draft,
          }
        : {}),
      closed_at: issue.closedAt,
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_by: null,
      author_association: this.authorAssociation(repository, issue.user),
      reactions: this.reactionRollup(`${apiIssue}/reactions`, (r) => r.subject.type === "issue" && r.subject.number === issue.number && r.repo === repository.fullName),
      timeline_url: `${apiIssue}/timeline`,
      performed_via_github_app: null,
    };
  }

  private reactionRollup(url: string, matches: (r: FakeReaction) => boolean): NonNullable<IssueJson["reactions"]> {
    const mine = this.state.reactions.filter(matches);
    const count = (content: FakeReaction["content"]) => mine.filter((r) => r.content === content).length;
    return {
      url,
      total_count: mine.length,
      "+1": count("+1"),
      "-1": count("-1"),
      laugh: count("laugh"),
      confused: count("confused"),
      heart: count("heart"),
      hooray: count("hooray"),
      eyes: count("eyes"),
      rocket: count("rocket"),
    };
  }

  comment(repository: FakeRepository, comment: FakeIssueComment): IssueCommentJson {
    const apiComment = `${this.api}/repos/${repository.fullName}/issues/comments/${comment.id}`;
    const byApp = comment.user.toLowerCase() === this.state.app.botLogin.toLowerCase();
    return {
      id: comment.id,
      node_id: nodeId("IssueComment", comment.id),
      url: apiComment,
      html_url: comment.htmlUrl,
      body: comment.body,
      user: this.user(comment.user),
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      issue_url: `${this.api}/repos/${repository.fullName}/issues/${comment.issueNumber}`,
      author_association: this.authorAssociation(repository, comment.user),
      performed_via_github_app: byApp ? this.integration() : null,
      reactions: this.reactionRollup(
        `${apiComment}/reactions`,
        (r) => r.subject.type === "issue_comment" && r.subject.id === comment.id,
      ),
    };
  }

  reaction(reaction: FakeReaction): ReactionJson {
    return {
      id: reaction.id,
      node_id: nodeId("Reaction", reaction.id),
      user: this.user(reaction.user),
      content: reaction.content,
      created_at: reaction.createdAt,
    };
  }

  /** REST's `node_id`, which GraphQL takes as the pull request's `id`. */
  pullRequestNodeId(pull: FakePullRequest): string {
    return nodeId("PullRequest", pull.id);
  }

  /** Head and base carry live shas: pass what the branches point at now. */
  pullRequestSimple(repository: FakeRepository, pull: FakePullRequest): PullRequestSimpleJson {
    const apiPull = `${this.api}/repos/${repository.fullName}/pulls/${pull.number}`;
    const apiIssue = `${this.api}/repos/${repository.fullName}/issues/${pull.number}`;
    const repo = this.repository(repository);
    const owner = this.user(repository.owner);
    return {
      url: apiPull,
      id: pull.id,
      node_id: this.pullRequestNodeId(pull),
      html_url: pull.htmlUrl,
      diff_url: `${pull.htmlUrl}.diff`,
      patch_url: `${pull.htmlUrl}.patch`,
      issue_url: apiIssue,
      commits_url: `${apiPull}/commits`,
      review_comments_url: `${apiPull}/comments`,
      review_comment_url: `${this.api}/repos/${repository.fullName}/pulls/comments{/number}`,
      comments_url: `${apiIssue}/comments`,
      statuses_url: `${this.api}/repos/${repository.fullName}/statuses/${pull.headSha}`,
      number: pull.number,
      state: pull.state,
      locked: pull.locked,
      title: pull.title,
      user: this.user(pull.user),
      body: pull.body,
      labels: this.labelsOf(repository, pull).map((l) => ({ ...l, description: l.description ?? "" })),
      milestone: null,
      active_lock_reason: null,
      created_at: pull.createdAt,
      updated_at: pull.updatedAt,
      closed_at: pull.closedAt,
      merged_at: null,
      merge_commit_sha: null,
      assignee: pull.assignees[0] === undefined ? null : this.user(pull.assignees[0]),
      assignees: pull.assignees.map((a) => this.user(a)),
      requested_reviewers: pull.requestedReviewers.map((r) => this.user(r)),
      requested_teams: [],
      head: { label: `${repository.owner}:${pull.head}`, ref: pull.head, sha: pull.headSha, repo, user: owner },
      base: { label: `${repository.owner}:${pull.base}`, ref: pull.base, sha: pull.baseSha, repo, user: owner },
      _links: {
        self: { href: apiPull },
        html: { href: pull.htmlUrl },
        issue: { href: apiIssue },
        comments: { href: `${apiIssue}/comments` },
        review_comments: { href: `${apiPull}/comments` },
        review_comment: { href: `${this.api}/repos/${repository.fullName}/pulls/comments{/number}` },
        commits: { href: `${apiPull}/commits` },
        statuses: { href: `${this.api}/repos/${repository.fullName}/statuses/${pull.headSha}` },
      },
      author_association: this.authorAssociation(repository, pull.user),
      auto_merge: null,
      draft: pull.draft,
    };
  }

  pullRequest(repository: FakeRepository, pull: FakePullRequest, figures: { commits: number; files: ChangedFile[] } | undefined): PullRequestJson {
    const simple = this.pullRequestSimple(repository, pull);
    return {
      ...simple,
      state: pull.state,
      user: this.user(pull.user),
      labels: this.labelsOf(repository, pull),
      head: { ...simple.head, user: this.user(repository.owner) },
      base: { ...simple.base, user: this.user(repository.owner) },
      requested_teams: [],
      merged: pull.merged,
      // GitHub computes mergeability in the background; the first read says "not known yet".
      mergeable: null,
      rebaseable: null,
      mergeable_state: "unknown",
      merged_by: null,
      comments: this.state.comments.filter((c) => c.repo === repository.fullName && c.issueNumber === pull.number).length,
      review_comments: this.state.reviewComments.filter((c) => c.repo === repository.fullName && c.pullNumber === pull.number).length,
      maintainer_can_modify: pull.maintainerCanModify,
      commits: figures?.commits ?? 0,
      additions: figures?.files.reduce((sum, f) => sum + f.additions, 0) ?? 0,
      deletions: figures?.files.reduce((sum, f) => sum + f.deletions, 0) ?? 0,
      changed_files: figures?.files.length ?? 0,
    };
  }

  review(repository: FakeRepository, review: FakeReview): ReviewJson {
    const apiPull = `${this.api}/repos/${repository.fullName}/pulls/${review.pullNumber}`;
    return {
      id: review.id,
      node_id: nodeId("PullRequestReview", review.id),
      user: this.user(review.user),
      body: review.body,
      state: review.state,
      html_url: review.htmlUrl,
      pull_request_url: apiPull,
      _links: { html: { href: review.htmlUrl }, pull_request: { href: apiPull } },
      submitted_at: review.submittedAt,
      commit_id: review.commitId,
      author_association: this.authorAssociation(repository, review.user),
    };
  }

  reviewComment(repository: FakeRepository, comment: FakeReviewComment): ReviewCommentJson {
    const apiComment = `${this.api}/repos/${repository.fullName}/pulls/comments/${comment.id}`;
    const apiPull = `${this.api}/repos/${repository.fullName}/pulls/${comment.pullNumber}`;
    return {
      url: apiComment,
      pull_request_review_id: comment.reviewId,
      id: comment.id,
      node_id: nodeId("PullRequestReviewComment", comment.id),
      diff_hunk: comment.diffHunk,
      path: comment.path,
      // A file-level comment has no position in the diff.
      ...(comment.line === null ? {} : { position: comment.line, original_position: comment.line }),
      commit_id: comment.commitId,
      original_commit_id: comment.commitId,
      ...(comment.inReplyToId === undefined ? {} : { in_reply_to_id: comment.inReplyToId }),
      user: this.user(comment.user),
      body: comment.body,
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      html_url: comment.htmlUrl,
      pull_request_url: apiPull,
      author_association: this.authorAssociation(repository, comment.user),
      _links: { self: { href: apiComment }, html: { href: comment.htmlUrl }, pull_request: { href: apiPull } },
      reactions: this.reactionRollup(
        `${apiComment}/reactions`,
        (r) => r.subject.type === "review_comment" && r.subject.id === comment.id,
      ),
      side: comment.side,
      start_side: null,
      ...(comment.line === null ? {} : { line: comment.line, original_line: comment.line }),
      start_line: null,
      original_start_line: null,
      subject_type: comment.line === null ? "file" : "line",
    };
  }

  diffEntry(repository: FakeRepository, headSha: string, file: ChangedFile): DiffEntryJson {
    const encoded = file.filename.split("/").map(encodeURIComponent).join("/");
    return {
      sha: file.sha,
      filename: file.filename,
      status: file.status,
      additions: file.additions,
      deletions: file.deletions,
      changes: file.additions + file.deletions,
      blob_url: `${repository.htmlUrl}/blob/${headSha}/${encoded}`,
      raw_url: `${repository.htmlUrl}/raw/${headSha}/${encoded}`,
      contents_url: `${this.api}/repos/${repository.fullName}/contents/${encoded}?ref=${headSha}`,
      ...(file.patch === undefined ? {} : { patch: file.patch }),
      ...(file.previousFilename === undefined ? {} : { previous_filename: file.previousFilename }),
    };
  }

  collaboratorPermission(account: FakeAccount, role: Permission): CollaboratorPermissionJson {
    const permission = legacyPermission(role);
    const rank = PERMISSION_ORDER.indexOf(role);
    return {
      permission,
      role_name: role,
      user: {
        ...this.accountJson(account),
        permissions: { pull: rank >= 1, triage: rank >= 2, push: rank >= 3, maintain: rank >= 4, admin: rank >= 5 },
        role_name: role,
      },
    };
  }

  /** One entry of a contents listing, or the metadata half of a single file. */
  contentEntry(repository: FakeRepository, ref: string, entry: TreeEntry): Extract<ContentJson, unknown[]>[number] {
    const encoded = entry.path.split("/").map(encodeURIComponent).join("/");
    const self = `${this.api}/repos/${repository.fullName}/contents/${encoded}?ref=${encodeURIComponent(ref)}`;
    const kind = entry.type === "dir" ? "tree" : "blob";
    const html = entry.type === "submodule" ? null : `${repository.htmlUrl}/${kind}/${ref}/${encoded}`;
    const git = entry.type === "submodule" ? null : `${this.api}/repos/${repository.fullName}/git/${entry.type === "dir" ? "trees" : "blobs"}/${entry.sha}`;
    return {
      type: entry.type,
      size: entry.size,
      name: entry.name,
      path: entry.path,
      sha: entry.sha,
      url: self,
      git_url: git,
      html_url: html,
      download_url: entry.type === "file" ? `${repository.htmlUrl}/raw/${ref}/${encoded}` : null,
      _links: { self, git, html },
    };
  }

  contentFile(repository: FakeRepository, ref: string, entry: TreeEntry, content: Buffer): ContentJson {
    // GitHub wraps base64 at 60 characters and ends with a newline.
    const base64 = content.toString("base64").replace(/.{60}/g, "$&\n");
    return {
      ...this.contentEntry(repository, ref, entry),
      type: "file",
      encoding: "base64",
      content: base64.endsWith("\n") || base64 === "" ? base64 : `${base64}\n`,
    };
  }
}
