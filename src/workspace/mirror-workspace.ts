import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, realpath, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { withFileLock } from "./file-lock.js";
import { authorizationConfig, redactCredentials, withoutCredentials } from "./git-credentials.js";
import { GitCommandError, runGit, type GitCall, type GitConfigEntries } from "./git-runner.js";
import { KeyedMutex } from "./keyed-mutex.js";
import { protectedPathMatcher } from "./protected-paths.js";
import {
  GitOperationError,
  PushRejectedError,
  type Checkout,
  type CheckoutRequest,
  type CommitRequest,
  type CommitResult,
  type Workspace,
} from "./workspace.js";
import { pinnedGitEnv, readWorktreeGitDir, resetWorktreeGitFiles, type WorktreeGitDir } from "./worktree-git-dir.js";

export interface MirrorWorkspaceOptions {
  /** The data directory's `workspaces` folder: mirrors and worktrees live below it. */
  root: string;
  /** The git executable; default `git` from PATH. */
  gitBinary?: string;
  log?: { info?(message: string): void; warn(message: string): void };
  /**
   * Parallel checkout workers when a worktree is filled (git's
   * `checkout.workers`); 0 means one per CPU. Default 0.
   */
  checkoutWorkers?: number;
  /** A mirror lock file left untouched this long is taken over. Default 30 s. */
  lockStaleMs?: number;
  /**
   * Released worktrees kept per mirror, cleaned, for later runs to start
   * from: switching a worktree to another commit rewrites only the files
   * that differ, where a new one writes every file. 0 removes every
   * released worktree. Default 2.
   */
  parkedPerMirror?: number;
}

/** A checkout as this workspace makes it: always with its mirror, and where the time went. */
export interface MirrorCheckout extends Checkout {
  mirrorPath: string;
  /** The worktree's own git directory, `<mirror>/worktrees/<id>`. */
  gitDir: string;
  /** True when a parked worktree of an earlier run was switched over rather than a new one filled. */
  reused: boolean;
  timings: {
    /** Waiting for the mirror lock, asking the remote, fetching, registering (or taking) the worktree. */
    mirrorMs: number;
    /** Writing the files into the new worktree, or bringing a reused one to the new commit and cleaning it. */
    worktreeMs: number;
  };
}

const DEFAULT_PARKED_PER_MIRROR = 2;

/** Shared by every instance in the process: the mirror path is the key. */
const mirrorMutex = new KeyedMutex();

/** git's object id of the empty tree. */
const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

const PLANWRIGHT_IDENTITY = {
  GIT_AUTHOR_NAME: "planwright",
  GIT_AUTHOR_EMAIL: "planwright@localhost",
  GIT_COMMITTER_NAME: "planwright",
  GIT_COMMITTER_EMAIL: "planwright@localhost",
};

interface RemoteHeads {
  /** Branch name → head commit. */
  heads: Map<string, string>;
}

/** Where a data directory keeps mirrors, worktrees and parked worktrees. */
export function workspacesRoot(dataDir: string): string {
  return path.join(dataDir, "workspaces");
}

/**
 * Checkouts backed by one bare mirror per repository
 * (`<root>/mirrors/<host>/<owner>/<name>.git`) and one worktree per run
 * (`<root>/worktrees/<runId>`). A warm checkout asks the remote for its branch
 * heads, fetches only the default branch and the run's branch and only when
 * they moved, then fills a new worktree from the local object store.
 *
 * The token only ever travels as an `http.extraHeader` in command-scope
 * configuration (environment variables of that one git process); fetches and
 * pushes name the clone URL directly, so no config file learns it.
 */
export class MirrorWorkspace implements Workspace {
  private readonly root: string;

  constructor(private readonly options: MirrorWorkspaceOptions) {
    this.root = path.resolve(options.root);
  }

  /** Where the repository's mirror lives (exists after its first checkout). */
  mirrorPath(cloneUrl: string, repoFullName: string): string {
    const [owner, name, ...rest] = repoFullName.split("/");
    if (!owner || !name || rest.length > 0 || !isSafeSegment(owner) || !isSafeSegment(name)) {
      throw new GitOperationError("checkout", `"${repoFullName}" is not an owner/name repository name`);
    }
    return path.join(this.root, "mirrors", hostDirectory(cloneUrl), owner, `${name.replace(/\.git$/, "")}.git`);
  }

  async checkout(request: CheckoutRequest): Promise<MirrorCheckout> {
    const { signal } = request;
    const started = performance.now();
    if (!isSafeSegment(request.runId)) {
      throw new GitOperationError("checkout", `run id "${request.runId}" cannot name a directory (letters, digits, ".", "_" and "-" only)`);
    }
    const mirror = this.mirrorPath(request.cloneUrl, request.repoFullName);
    const worktree = path.join(this.root, "worktrees", request.runId);
    await mkdir(path.dirname(mirror), { recursive: true });
    await mkdir(path.dirname(worktree), { recursive: true });
    await this.assertBranchName(request.branch, path.dirname(mirror), signal);
    const git = (args: readonly string[]) => this.git({ cwd: mirror, args, signal });

    const registration = await this.withMirrorLock(mirror, signal, async (): Promise<Registration> => {
      if (!existsSync(path.join(mirror, "HEAD"))) {
        this.options.log?.info?.(`creating the mirror of ${request.repoFullName} in ${mirror}`);
        await this.git({ cwd: path.dirname(mirror), args: ["init", "--bare", "--quiet", mirror], signal });
        // For people looking at the mirror; planwright itself always fetches by URL.
        await git(["config", "remote.origin.url", withoutCredentials(request.cloneUrl)]);
      }
      // What pruneIdleMirrors judges a mirror's idleness by.
      await writeFile(path.join(mirror, LAST_USED_FILE), "");
      const auth = authorizationConfig(await request.token());
      const remote = await this.remoteHeads(mirror, request, auth);
      const emptyRepository = remote.heads.size === 0;
      const defaultHead = remote.heads.get(request.defaultBranch);
      if (!emptyRepository && defaultHead === undefined) {
        const names = [...remote.heads.keys()];
        throw new GitOperationError(
          "checkout",
          `the default branch "${request.defaultBranch}" does not exist in ${request.repoFullName} ` +
            `(it has ${names.length} branch${names.length === 1 ? "" : "es"}: ${names.slice(0, 10).join(", ")}${names.length > 10 ? ", …" : ""}). ` +
            "Check the repository's default branch on GitHub (Settings → General); if it was renamed or deleted, trigger the run again.",
        );
      }
      const branchExisted = remote.heads.has(request.branch);
      await this.fetchChanged(mirror, request, remote, auth);

      await this.clearLeftoverWorktree(mirror, worktree);
      await this.releaseBranchFromOtherWorktrees(mirror, request.branch);

      if (emptyRepository) {
        await this.addUnbornWorktree(mirror, worktree, request.branch, signal);
        return { baseSha: "", branchExisted: false, emptyRepository: true, reused: false };
      }
      const baseRef = `refs/remotes/origin/${branchExisted ? request.branch : request.defaultBranch}`;
      const baseSha = (await git(["rev-parse", "--verify", `${baseRef}^{commit}`])).trim();
      if (await this.takeParked(mirror, worktree)) {
        try {
          const gitDir = await readWorktreeGitDir(worktree, mirror);
          // What `worktree add -B` does below: a branch left behind by a crashed run is reset.
          await git(["update-ref", `refs/heads/${request.branch}`, baseSha]);
          const env = pinnedGitEnv({ path: worktree, gitDir, mirror });
          await this.git({ cwd: worktree, args: ["symbolic-ref", "HEAD", `refs/heads/${request.branch}`], env, signal });
          return { baseSha, branchExisted, emptyRepository: false, reused: true };
        } catch (error) {
          await this.removeWorktree(mirror, worktree);
          signal?.throwIfAborted();
          this.options.log?.warn(`could not reuse a parked worktree for run ${request.runId} (${errorText(error)}); adding a new one`);
        }
      }
      await this.addWorktree(mirror, worktree, request.branch, baseSha);
      return { baseSha, branchExisted, emptyRepository: false, reused: false };
    });

    const registered = performance.now();
    let checkout: Omit<MirrorCheckout, "timings"> = await this.describe(mirror, worktree, request.branch, registration);
    const timed = (): MirrorCheckout => ({
      ...checkout,
      timings: { mirrorMs: registered - started, worktreeMs: performance.now() - registered },
    });
    if (checkout.emptyRepository) return timed();
    try {
      // Filled (or cleaned) outside the mirror lock: writing tens of
      // thousands of files must not hold up other runs' fetches. The
      // registered worktree keeps its objects safe from a concurrent gc.
      if (checkout.reused) {
        try {
          await this.switchReused(checkout, signal);
        } catch (error) {
          signal?.throwIfAborted();
          this.options.log?.warn(`could not reuse a parked worktree for run ${request.runId} (${errorText(error)}); filling a new one`);
          await this.removeWorktree(mirror, worktree);
          await this.withMirrorLock(mirror, signal, () => this.addWorktree(mirror, worktree, request.branch, checkout.baseSha));
          checkout = await this.describe(mirror, worktree, request.branch, { ...registration, reused: false });
          await this.fill(checkout, signal);
        }
      } else {
        await this.fill(checkout, signal);
      }
    } catch (error) {
      await this.discard(checkout).catch(() => {});
      throw error;
    }
    return timed();
  }

  private async describe(mirror: string, worktree: string, branch: string, registration: Registration): Promise<Omit<MirrorCheckout, "timings">> {
    const gitDir = await readWorktreeGitDir(worktree, mirror);
    return {
      path: worktree,
      branch,
      ...registration,
      mirrorPath: mirror,
      gitDir,
      sandboxPaths: { readOnly: [mirror], writable: [gitDir] },
      gitEnv: pinnedGitEnv({ path: worktree, gitDir, mirror }),
    };
  }

  /** -B resets a branch left behind by a crashed run instead of failing on it. */
  private async addWorktree(mirror: string, worktree: string, branch: string, baseSha: string): Promise<void> {
    await this.git({ cwd: mirror, args: ["worktree", "add", "--quiet", "--no-checkout", "-B", branch, worktree, baseSha] });
  }

  /** Writes every file of HEAD into a worktree registered with `--no-checkout`. */
  private async fill(checkout: MirrorCheckout | Omit<MirrorCheckout, "timings">, signal: AbortSignal | undefined): Promise<void> {
    await this.git({
      cwd: checkout.path,
      args: ["reset", "--hard", "--quiet"],
      signal,
      env: pinnedGitEnv(pinned(checkout)),
      config: [["checkout.workers", String(this.options.checkoutWorkers ?? 0)]],
    });
  }

  /**
   * Brings a parked worktree (clean, with an index planwright built) to the
   * run's commit, which HEAD already names: only files that differ are
   * rewritten. Then removes whatever is not tracked, ignored files included
   * (the last run's node_modules: setup installs this branch's own), and
   * checks that nothing is left over.
   */
  private async switchReused(checkout: Omit<MirrorCheckout, "timings">, signal: AbortSignal | undefined): Promise<void> {
    const env = pinnedGitEnv(pinned(checkout));
    const git = (args: readonly string[], config: GitConfigEntries = []) => this.git({ cwd: checkout.path, args, env, signal, config });
    await git(["reset", "--hard", "--quiet"], [["checkout.workers", String(this.options.checkoutWorkers ?? 0)]]);
    await git(["clean", "-ffdx", "--quiet"]);
    const status = await git(["status", "--porcelain=v2", "-z", "--branch", "--untracked-files=all", "--ignored=matching", "--no-renames"]);
    const fields = status.split("\0").filter(Boolean);
    const header = (name: string) => fields.find((field) => field.startsWith(`# branch.${name} `))?.slice(`# branch.${name} `.length);
    const leftovers = fields.filter((field) => !field.startsWith("# ")).length;
    if (header("oid") !== checkout.baseSha || header("head") !== checkout.branch || leftovers > 0) {
      throw new Error(
        `the worktree is not clean after switching it (at ${header("oid") ?? "?"} on ${header("head") ?? "?"}, ${leftovers} paths left over)`,
      );
    }
  }

  async commit(checkout: Checkout, request: CommitRequest): Promise<CommitResult> {
    const identity = {
      GIT_AUTHOR_NAME: request.author.name,
      GIT_AUTHOR_EMAIL: request.author.email,
      GIT_COMMITTER_NAME: request.author.name,
      GIT_COMMITTER_EMAIL: request.author.email,
    };
    const worktree = pinnedOf(checkout);
    const env = worktree ? { ...identity, ...pinnedGitEnv(worktree) } : identity;
    const git = (args: readonly string[], extra: Partial<GitCall> = {}) => this.git({ cwd: checkout.path, args, env, ...extra }, "commit");

    if (worktree) {
      // The run's commands could write HEAD and the index (so that git works
      // for them): HEAD could name another run's branch, and an index entry
      // with a file's forged stat data would commit an old blob instead of
      // what is on disk and was tested. The commit goes on the run's branch,
      // and the index is rebuilt from it, so every file is hashed afresh.
      await git(["symbolic-ref", "HEAD", `refs/heads/${checkout.branch}`]);
      const head = await git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]).catch(() => "");
      await git(head.trim() ? ["read-tree", head.trim()] : ["read-tree", "--empty"]);
    }
    await git(["add", "--all"]);
    const staged = parseRawDiff(await git(["diff", "--cached", "--raw", "-z", "--no-renames", "--no-abbrev"]));
    const isProtected = protectedPathMatcher(request.protectedPaths);
    const dropped = staged
      .filter((change) => isProtected(change.path) || isNewEmbeddedRepository(change))
      .map((change) => change.path);
    // Setup's own output (a lockfile npm wrote) is not the agent's work: left out, but not "dropped".
    const excluded = new Set(request.excludePaths ?? []);
    const unstage = [...dropped, ...staged.map((change) => change.path).filter((p) => excluded.has(p) && !dropped.includes(p))];

    if (unstage.length > 0) {
      // Back to what HEAD has (nothing, on an unborn branch): a protected file
      // the agent deleted stays, one it added or changed is left out (it
      // remains in the worktree only). Paths go through stdin: there may be
      // thousands, and `--literal-pathspecs` keeps `*` or `:` in a name literal.
      await git(["--literal-pathspecs", "reset", "--quiet", "--pathspec-from-file=-", "--pathspec-file-nul"], {
        input: unstage.map((file) => `${file}\0`).join(""),
      });
    }
    const changedPaths = (await git(["diff", "--cached", "--name-only", "-z", "--no-renames"])).split("\0").filter(Boolean);
    if (changedPaths.length === 0) return { sha: null, droppedPaths: dropped, changedPaths: [] };

    // Through a file, not `-m`: the message is model-written text and the argv
    // is visible to every user of the machine.
    const gitDir = (await git(["rev-parse", "--absolute-git-dir"])).trim();
    const messageFile = path.join(gitDir, "PLANWRIGHT_COMMIT_MSG");
    await writeFile(messageFile, request.message.endsWith("\n") ? request.message : `${request.message}\n`);
    try {
      await git(["commit", "--quiet", "--no-verify", "--file", messageFile]);
    } finally {
      await rm(messageFile, { force: true });
    }
    const sha = (await git(["rev-parse", "HEAD"])).trim();
    return { sha, droppedPaths: dropped, changedPaths };
  }

  async push(checkout: Checkout, request: { cloneUrl: string; token: () => Promise<string>; signal?: AbortSignal }): Promise<void> {
    const token = await request.token();
    try {
      const worktree = pinnedOf(checkout);
      await runGit({
        cwd: checkout.path,
        args: ["push", "--no-verify", request.cloneUrl, `HEAD:refs/heads/${checkout.branch}`],
        config: authorizationConfig(token),
        ...(worktree ? { env: pinnedGitEnv(worktree) } : {}),
        ...(this.options.gitBinary ? { binary: this.options.gitBinary } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
    } catch (error) {
      if (!(error instanceof GitCommandError)) throw error;
      const said = redactCredentials(error.stderr, token);
      if (/refusing to allow an? .{1,80} to create or update workflow/i.test(said)) {
        throw new GitOperationError(
          "push",
          `GitHub refused the branch ${checkout.branch} because it changes files under .github/workflows/ and the app lacks the "workflows" permission. ` +
            "Keep .github/workflows/** in the protected paths (the default), or grant the GitHub App the Workflows (read and write) permission. " +
            `Git said: ${said}`,
        );
      }
      const rejected = /\[rejected\][^\n]*\((fetch first|non-fast-forward)\)|\[remote rejected\][^\n]*(cannot lock ref|incorrect old value)/i.exec(said);
      if (rejected) throw new PushRejectedError(checkout.branch, rejected[0].replace(/^\W+/, "").trim());
      // No `cause`: it would carry git's unredacted output into logs.
      throw new GitOperationError("push", withHint(said));
    }
  }

  async release(checkout: Checkout): Promise<void> {
    const worktree = pinnedOf(checkout);
    if (worktree && !checkout.emptyRepository && existsSync(checkout.path)) {
      const parked = await this.park(worktree, checkout.baseSha, checkout.branch).catch((error: unknown) => {
        this.options.log?.warn(`could not park the worktree ${checkout.path} for reuse (${errorText(error)}); removing it`);
        return false;
      });
      if (parked) return;
    }
    await this.discard(checkout);
  }

  /** Removes the worktree and the run's local branch. */
  private async discard(checkout: Pick<Checkout, "path" | "branch" | "mirrorPath">): Promise<void> {
    const mirror = checkout.mirrorPath ?? (await this.mirrorOfWorktree(checkout.path));
    if (mirror) {
      await this.removeWorktree(mirror, checkout.path);
      // The run's local branch only keeps objects alive; the next run on the
      // branch starts from the remote again. Refuses (fine) if checked out elsewhere.
      await this.withMirrorLock(mirror, undefined, () => this.deleteBranch(mirror, checkout.branch)).catch(() => {});
    } else {
      await rm(checkout.path, { recursive: true, force: true });
    }
  }

  private async removeWorktree(mirror: string, worktree: string): Promise<void> {
    await this.git({ cwd: mirror, args: ["worktree", "remove", "--force", "--force", worktree] }).catch(async () => {
      await rm(worktree, { recursive: true, force: true });
      await this.git({ cwd: mirror, args: ["worktree", "prune"] }).catch(() => {});
    });
  }

  private async deleteBranch(mirror: string, branch: string): Promise<void> {
    await this.git({ cwd: mirror, args: ["branch", "--quiet", "-D", branch] });
  }

  /** `<root>/parked/<host>/<owner>/<name>`: outside the mirror, which commands may see. */
  private parkedDirectory(mirror: string): string {
    return path.join(this.root, "parked", path.relative(path.join(this.root, "mirrors"), mirror).replace(/\.git$/, ""));
  }

  private get parkedPerMirror(): number {
    return this.options.parkedPerMirror ?? DEFAULT_PARKED_PER_MIRROR;
  }

  /**
   * Keeps a released worktree for a later run of the same repository, made
   * pristine first: HEAD detached at the run's base commit (so the branch
   * can go), the git directory emptied of the run's state, the index rebuilt
   * from that commit by hashing every file (the run's commands could write
   * the index, and a forged one could hide a changed file from the next
   * run), the files reset to it, and everything untracked or ignored
   * deleted. Only then is it moved into the pool, under the mirror lock, so
   * whatever is in the pool is clean. False when the pool is full.
   */
  private async park(worktree: WorktreeGitDir, baseSha: string, branch: string): Promise<boolean> {
    const pool = this.parkedDirectory(worktree.mirror);
    if (this.parkedPerMirror <= 0 || !baseSha || (await entriesOf(pool)).length >= this.parkedPerMirror) return false;
    await resetWorktreeGitFiles(worktree, baseSha);
    const env = pinnedGitEnv(worktree);
    const git = (args: readonly string[]) => this.git({ cwd: worktree.path, args, env });
    await git(["read-tree", baseSha]);
    // Exits non-zero when files differ from the commit: reset --hard is for those.
    await git(["update-index", "-q", "--refresh"]).catch(() => "");
    await git(["reset", "--hard", "--quiet"]);
    await git(["clean", "-ffdx", "--quiet"]);

    return this.withMirrorLock(worktree.mirror, undefined, async () => {
      if ((await entriesOf(pool)).length >= this.parkedPerMirror) return false;
      await this.deleteBranch(worktree.mirror, branch).catch(() => {});
      await mkdir(pool, { recursive: true });
      // `worktree move` keeps git's record of the worktree (its id and git directory) consistent.
      await this.git({ cwd: worktree.mirror, args: ["worktree", "move", worktree.path, path.join(pool, randomUUID())] });
      return true;
    });
  }

  /**
   * Under the mirror lock: moves a parked worktree to `target`, so no other
   * run can take it. Directories in the pool git does not know as worktrees
   * of this mirror (a crash between git's rename and its bookkeeping, or a
   * directory someone deleted and git's record pruned) are removed; so is
   * one git refuses to move.
   */
  private async takeParked(mirror: string, target: string): Promise<boolean> {
    const pool = this.parkedDirectory(mirror);
    const names = await entriesOf(pool);
    if (names.length === 0) return false;
    const registered = await this.registeredWorktrees(mirror);
    for (const name of names) {
      const candidate = path.join(pool, name);
      const real = await realpath(candidate).catch(() => candidate);
      if (!registered.has(real)) {
        this.options.log?.warn(`removing ${candidate}: it is not a worktree of ${mirror}`);
        await rm(candidate, { recursive: true, force: true });
        continue;
      }
      try {
        await this.git({ cwd: mirror, args: ["worktree", "move", candidate, target] });
        return true;
      } catch (error) {
        this.options.log?.warn(`removing the parked worktree ${candidate}: ${errorText(error)}`);
        await this.removeWorktree(mirror, candidate);
      }
    }
    return false;
  }

  /**
   * Deletes the mirrors (and parked worktrees) of repositories no run has
   * checked out since `cutoff` (ms since the epoch), so repositories planwright
   * no longer serves stop taking disk; a later run on one simply clones again.
   * A mirror with a run's worktree is kept whatever its age. Returns how many
   * mirrors it deleted.
   */
  async pruneIdleMirrors(cutoff: number): Promise<number> {
    let deleted = 0;
    for (const mirror of await this.mirrors()) {
      if ((await lastUsed(mirror)) >= cutoff) continue;
      const removed = await this.withMirrorLock(mirror, undefined, async () => {
        // Again under the lock: a checkout may have started since.
        if (!existsSync(path.join(mirror, "HEAD")) || (await lastUsed(mirror)) >= cutoff) return false;
        if (await this.hasRunWorktree(mirror)) return false;
        await rm(this.parkedDirectory(mirror), { recursive: true, force: true });
        await rm(mirror, { recursive: true, force: true });
        return true;
      });
      if (!removed) continue;
      deleted++;
      this.options.log?.info?.(`deleted the mirror ${mirror}: no run used it since ${new Date(cutoff).toISOString()}`);
      // The owner and host folders stay, even empty: a checkout creates them
      // before it takes the lock, so removing them could pull them from under it.
    }
    return deleted;
  }

  /** `<root>/mirrors/<host>/<owner>/<name>.git`, for every mirror there is. */
  private async mirrors(): Promise<string[]> {
    const list = async (dir: string): Promise<string[]> =>
      (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name));
    const found: string[] = [];
    for (const host of await list(path.join(this.root, "mirrors"))) {
      for (const owner of await list(host)) found.push(...(await list(owner)).filter((dir) => dir.endsWith(".git")));
    }
    return found;
  }

  /** True when a worktree other than a parked one is registered: a run is using the mirror. */
  private async hasRunWorktree(mirror: string): Promise<boolean> {
    const parked = this.parkedDirectory(mirror);
    const listing = await this.git({ cwd: mirror, args: ["worktree", "list", "--porcelain"] });
    for (const block of listing.split("\n\n")) {
      const lines = block.split("\n");
      const listed = lines.find((line) => line.startsWith("worktree "))?.slice("worktree ".length);
      if (!listed || lines.includes("bare") || lines.some((line) => line.startsWith("prunable"))) continue;
      const relative = path.relative(parked, listed);
      if (relative.startsWith("..") || path.isAbsolute(relative)) return true;
    }
    return false;
  }

  /** Real paths of the mirror's usable linked worktrees (not prunable, not locked). */
  private async registeredWorktrees(mirror: string): Promise<Set<string>> {
    const listing = await this.git({ cwd: mirror, args: ["worktree", "list", "--porcelain"] });
    const paths = new Set<string>();
    for (const block of listing.split("\n\n")) {
      const lines = block.split("\n");
      const listed = lines.find((line) => line.startsWith("worktree "))?.slice("worktree ".length);
      if (!listed || lines.some((line) => line === "bare" || line.startsWith("prunable") || line.startsWith("locked"))) continue;
      paths.add(await realpath(listed).catch(() => listed));
    }
    return paths;
  }

  private async remoteHeads(mirror: string, request: CheckoutRequest, auth: GitConfigEntries): Promise<RemoteHeads> {
    // All heads in one round trip: it tells an empty repository from a missing
    // default branch, and whether the run's branch exists.
    const output = await this.git({ cwd: mirror, args: ["ls-remote", "--heads", request.cloneUrl], config: auth, signal: request.signal });
    const heads = new Map<string, string>();
    for (const line of output.split("\n")) {
      const match = /^([0-9a-f]{40,64})\trefs\/heads\/(.+)$/.exec(line.trim());
      if (match?.[1] && match[2]) heads.set(match[2], match[1]);
    }
    return { heads };
  }

  /**
   * Fetches the default branch and the run's branch into `refs/remotes/origin/*`,
   * skipping those whose remote-tracking ref already has the advertised
   * commit (a tracking ref is only written after a complete fetch).
   */
  private async fetchChanged(mirror: string, request: CheckoutRequest, remote: RemoteHeads, auth: GitConfigEntries): Promise<void> {
    const wanted = [...new Set([request.defaultBranch, request.branch])];
    const refspecs: string[] = [];
    for (const branch of wanted) {
      const trackingRef = `refs/remotes/origin/${branch}`;
      const advertised = remote.heads.get(branch);
      const local = await this.git({ cwd: mirror, args: ["rev-parse", "--verify", "--quiet", trackingRef] }).then(
        (sha) => sha.trim(),
        () => "",
      );
      if (advertised === undefined) {
        if (local) await this.git({ cwd: mirror, args: ["update-ref", "-d", trackingRef] });
      } else if (advertised !== local) {
        refspecs.push(`+refs/heads/${branch}:${trackingRef}`);
      }
    }
    if (refspecs.length === 0) {
      this.options.log?.info?.(`mirror of ${request.repoFullName} is up to date; nothing to fetch`);
      return;
    }
    await this.git({
      cwd: mirror,
      args: ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--no-recurse-submodules", request.cloneUrl, ...refspecs],
      config: auth,
      signal: request.signal,
    });
  }

  /** A worktree directory of the same run id, left by a crash, is removed; so is git's record of it. */
  private async clearLeftoverWorktree(mirror: string, worktree: string): Promise<void> {
    if (existsSync(worktree)) {
      this.options.log?.warn(`removing the leftover worktree ${worktree}`);
      await this.git({ cwd: mirror, args: ["worktree", "remove", "--force", "--force", worktree] }).catch(() => {});
      await rm(worktree, { recursive: true, force: true });
    }
    await this.git({ cwd: mirror, args: ["worktree", "prune"] });
  }

  /**
   * Runs on one branch are serialised by the queue, so a worktree still
   * holding the branch is a crashed run's. Detaching its HEAD (files, index
   * and commits untouched) lets this run take the branch; git refuses to have
   * one branch checked out twice.
   */
  private async releaseBranchFromOtherWorktrees(mirror: string, branch: string): Promise<void> {
    const listing = await this.git({ cwd: mirror, args: ["worktree", "list", "--porcelain"] });
    for (const block of listing.split("\n\n")) {
      const lines = block.split("\n");
      const holder = lines.find((line) => line.startsWith("worktree "))?.slice("worktree ".length);
      if (!holder || !lines.includes(`branch refs/heads/${branch}`)) continue;
      this.options.log?.warn(`the branch ${branch} is still checked out in ${holder}; detaching it there`);
      await this.git({ cwd: holder, args: ["checkout", "--quiet", "--detach"] }).catch(async () => {
        // An unborn branch cannot be detached from; that worktree has no commit to lose.
        await this.git({ cwd: mirror, args: ["worktree", "remove", "--force", "--force", holder] }).catch(() => {});
      });
    }
  }

  /**
   * An empty repository has no commit to base a worktree on, and git 2.39's
   * `worktree add` has no `--orphan`: the worktree is created on a throwaway
   * empty commit (never referenced, so gc takes it), then HEAD is pointed at
   * the unborn branch, so the agent's first commit is a root commit.
   */
  private async addUnbornWorktree(mirror: string, worktree: string, branch: string, signal: AbortSignal | undefined): Promise<void> {
    await this.git({ cwd: mirror, args: ["update-ref", "-d", `refs/heads/${branch}`] });
    await this.git({ cwd: mirror, args: ["hash-object", "-w", "-t", "tree", "/dev/null"] });
    const placeholder = (
      await this.git({ cwd: mirror, args: ["commit-tree", EMPTY_TREE, "-m", "planwright placeholder"], env: PLANWRIGHT_IDENTITY, signal })
    ).trim();
    await this.git({ cwd: mirror, args: ["worktree", "add", "--quiet", "--no-checkout", "--detach", worktree, placeholder], signal });
    await this.git({ cwd: worktree, args: ["symbolic-ref", "HEAD", `refs/heads/${branch}`] });
  }

  private async mirrorOfWorktree(worktree: string): Promise<string | undefined> {
    const pointer = await readFile(path.join(worktree, ".git"), "utf8").catch(() => "");
    const gitDir = /^gitdir: (.+)$/m.exec(pointer)?.[1]?.trim();
    // <mirror>/worktrees/<id>
    return gitDir ? path.dirname(path.dirname(gitDir)) : undefined;
  }

  private async assertBranchName(branch: string, cwd: string, signal: AbortSignal | undefined): Promise<void> {
    const valid =
      !branch.startsWith("-") && (await this.git({ cwd, args: ["check-ref-format", `refs/heads/${branch}`], signal }).then(() => true, () => false));
    if (!valid) throw new GitOperationError("checkout", `"${branch}" is not a valid branch name`);
  }

  private withMirrorLock<T>(mirror: string, signal: AbortSignal | undefined, task: () => Promise<T>): Promise<T> {
    return mirrorMutex.run(
      mirror,
      () =>
        withFileLock(`${mirror}.planwright-lock`, task, {
          ...(signal ? { signal } : {}),
          ...(this.options.lockStaleMs ? { staleMs: this.options.lockStaleMs } : {}),
        }),
      signal,
    );
  }

  /** Runs git; failures become `GitOperationError` with credentials redacted. */
  private async git(call: Omit<GitCall, "binary">, operation = "checkout"): Promise<string> {
    try {
      return await runGit({ ...call, ...(this.options.gitBinary ? { binary: this.options.gitBinary } : {}) });
    } catch (error) {
      if (!(error instanceof GitCommandError)) throw error;
      const said = redactCredentials(error.stderr, tokenIn(call.config));
      // No `cause`: it would carry git's unredacted output into logs.
      throw new GitOperationError(operation, `${error.args[0] ?? ""}: ${withHint(said)}`);
    }
  }
}

/** Touched at every checkout; its mtime is when a run last used the mirror. */
const LAST_USED_FILE = "planwright-last-used";

/** A mirror from before the marker existed counts as used when its directory last changed. */
async function lastUsed(mirror: string): Promise<number> {
  const marker = await stat(path.join(mirror, LAST_USED_FILE)).catch(() => undefined);
  if (marker) return marker.mtimeMs;
  return (await stat(mirror).catch(() => undefined))?.mtimeMs ?? Number.POSITIVE_INFINITY;
}

/** What registration under the mirror lock decided. */
interface Registration {
  baseSha: string;
  branchExisted: boolean;
  emptyRepository: boolean;
  reused: boolean;
}

/** The worktree's git directory and mirror, for a checkout this workspace made. */
function pinnedOf(checkout: Checkout): WorktreeGitDir | undefined {
  if (!("gitDir" in checkout) || typeof checkout.gitDir !== "string" || !checkout.mirrorPath) return undefined;
  return { path: checkout.path, gitDir: checkout.gitDir, mirror: checkout.mirrorPath };
}

function pinned(checkout: Omit<MirrorCheckout, "timings">): WorktreeGitDir {
  return { path: checkout.path, gitDir: checkout.gitDir, mirror: checkout.mirrorPath };
}

/** Names in a directory, sorted; none when it does not exist. */
async function entriesOf(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [])).sort();
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Git's message plus what a person should check, for the failures that have a usual cause. */
function withHint(said: string): string {
  if (/could not read Username|Authentication failed|returned error: 401/i.test(said)) {
    return `${said} (GitHub did not accept the installation token: check that the GitHub App is still installed on the repository.)`;
  }
  if (/returned error: 403|Permission to \S+ denied/i.test(said)) {
    return `${said} (the installation token lacks access: the GitHub App needs the Contents permission, read and write.)`;
  }
  if (/Repository not found|returned error: 404/i.test(said)) {
    return `${said} (the repository was not found: it may have been renamed or deleted, or the app uninstalled from it.)`;
  }
  return said;
}

interface StagedChange {
  oldMode: string;
  newMode: string;
  path: string;
}

/** `git diff --raw -z`: `:old new oldsha newsha status\0path\0` per change (no renames). */
function parseRawDiff(output: string): StagedChange[] {
  const fields = output.split("\0");
  const changes: StagedChange[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [oldMode, newMode] = (fields[i] ?? "").replace(/^:/, "").split(" ");
    const file = fields[i + 1];
    if (oldMode && newMode && file) changes.push({ oldMode, newMode, path: file });
  }
  return changes;
}

/**
 * A directory with its own `.git` that the agent created (a clone, a
 * `git init`) would be committed as a dangling submodule pointer.
 */
function isNewEmbeddedRepository(change: StagedChange): boolean {
  return change.newMode === "160000" && change.oldMode !== "160000";
}

function isSafeSegment(segment: string): boolean {
  return /^[A-Za-z0-9._-]+$/.test(segment) && segment !== "." && segment !== "..";
}

/** `github.com`, `ghe.example.com_8443`; `local` for path and file URLs (tests, local runs). */
function hostDirectory(cloneUrl: string): string {
  try {
    const host = new URL(cloneUrl).host;
    return host ? host.replace(/[^A-Za-z0-9.-]/g, "_") : "local";
  } catch {
    return "local";
  }
}

/** The token inside an authorization config, so an error message can be redacted of it. */
function tokenIn(config: GitConfigEntries | undefined): string | undefined {
  const header = config?.find(([key, value]) => key === "http.extraHeader" && value)?.[1];
  const encoded = header?.replace(/^Authorization: Basic /, "");
  if (!encoded) return undefined;
  return Buffer.from(encoded, "base64").toString("utf8").replace(/^x-access-token:/, "");
}
