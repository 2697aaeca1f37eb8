import { existsSync } from "node:fs";
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { basicCredentials } from "../../src/workspace/git-credentials.js";
import { MirrorWorkspace } from "../../src/workspace/mirror-workspace.js";
import { GitOperationError, PushRejectedError, type Checkout, type CheckoutRequest } from "../../src/workspace/workspace.js";
import { startGitHttpServer, type GitHttpServer } from "../helpers/git-http-server.js";
import { git } from "../helpers/git-repo.js";
import { pushOrRescue } from "../../src/pipeline/push-or-rescue.js";

const TOKEN = "ghs_testInstallationToken1234567890abcdef";
const AUTHOR = { name: "planwright[bot]", email: "planwright@users.noreply.example.com" };
const BRANCH = "planwright/issue-7-add-health";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

interface Origin {
  /** Bare repository acting as GitHub. */
  bare: string;
  /** A clone where "other people" make commits. */
  work: string;
  /** Directory the HTTP server serves (the bare repo is `<serveRoot>/acme/widgets.git`). */
  serveRoot: string;
}

/** A bare "GitHub" repository with `files` committed on main; empty when `files` is undefined. */
async function makeOrigin(files?: Record<string, string>): Promise<Origin> {
  const serveRoot = await tempDir("pw-origin-");
  const bare = path.join(serveRoot, "acme", "widgets.git");
  await mkdir(bare, { recursive: true });
  await git(bare, "init", "--quiet", "--bare", "--initial-branch=main");
  const work = await tempDir("pw-upstream-work-");
  await git(work, "init", "--quiet", "--initial-branch=main");
  if (files) {
    await commitFiles(work, files, "initial");
    await git(work, "push", "--quiet", bare, "main");
  }
  return { bare, work, serveRoot };
}

async function commitFiles(dir: string, files: Record<string, string>, message: string): Promise<string> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  await git(dir, "add", "-A");
  await git(dir, "commit", "--quiet", "-m", message);
  return git(dir, "rev-parse", "HEAD");
}

async function newWorkspace(options: Partial<ConstructorParameters<typeof MirrorWorkspace>[0]> = {}) {
  const root = await tempDir("pw-workspaces-");
  return { root, workspace: new MirrorWorkspace({ root, ...options }) };
}

function request(cloneUrl: string, overrides: Partial<CheckoutRequest> = {}): CheckoutRequest {
  return {
    cloneUrl,
    repoFullName: "acme/widgets",
    defaultBranch: "main",
    branch: BRANCH,
    token: async () => TOKEN,
    runId: "run-1",
    ...overrides,
  };
}

async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) found.push(path.join(entry.parentPath, entry.name));
  }
  return found;
}

async function packFiles(mirror: string): Promise<Map<string, number>> {
  const packDir = path.join(mirror, "objects", "pack");
  const inodes = new Map<string, number>();
  for (const name of await readdir(packDir)) {
    if (name.endsWith(".pack")) inodes.set(name, (await stat(path.join(packDir, name))).ino);
  }
  return inodes;
}

async function objectCount(repo: string): Promise<number> {
  const stats = Object.fromEntries(
    (await git(repo, "count-objects", "-v")).split("\n").map((line) => line.split(": ") as [string, string]),
  );
  return Number(stats.count) + Number(stats["in-pack"]);
}

describe("MirrorWorkspace over smart HTTP with an installation token", () => {
  let server: GitHttpServer;

  async function serve(origin: Origin, hold?: Parameters<typeof startGitHttpServer>[0]["hold"]) {
    server = await startGitHttpServer({ root: origin.serveRoot, token: TOKEN, ...(hold ? { hold } : {}) });
    cleanups.push(() => server.close());
    return `${server.url}/acme/widgets.git`;
  }

  it("fetches and pushes with the token while no file, remote or argv ever holds it", async () => {
    const origin = await makeOrigin({ "README.md": "# widgets\n", "src/index.ts": "export {};\n" });
    const cloneUrl = await serve(origin);
    // A git wrapper that records every argv planwright passes (what /proc shows other users).
    const wrapperDir = await tempDir("pw-git-wrapper-");
    const argvLog = path.join(wrapperDir, "argv.log");
    const wrapper = path.join(wrapperDir, "git");
    await writeFile(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec git "$@"\n`);
    await chmod(wrapper, 0o755);
    const { workspace } = await newWorkspace({ gitBinary: wrapper });

    const checkout = await workspace.checkout(request(cloneUrl));
    expect(checkout).toMatchObject({ branch: BRANCH, branchExisted: false, emptyRepository: false });
    expect(checkout.baseSha).toBe(await git(origin.bare, "rev-parse", "main"));
    expect(await readFile(path.join(checkout.path, "src/index.ts"), "utf8")).toBe("export {};\n");

    await writeFile(path.join(checkout.path, "src/health.ts"), "export const ok = true;\n");
    const commit = await workspace.commit(checkout, { message: "Add health", author: AUTHOR, protectedPaths: [] });
    await workspace.push(checkout, { cloneUrl, token: async () => TOKEN });
    expect(await git(origin.bare, "rev-parse", `refs/heads/${BRANCH}`)).toBe(commit.sha);

    expect(server.requests.length).toBeGreaterThan(0);
    expect(server.requests.every((r) => r.authorized)).toBe(true);
    expect(server.requests.some((r) => r.path.endsWith("/git-receive-pack"))).toBe(true);

    const secrets = [TOKEN, basicCredentials(TOKEN)];
    const mirror = checkout.mirrorPath!;
    const gitPointer = await readFile(path.join(checkout.path, ".git"), "utf8");
    const inspected = [...(await filesUnder(mirror)), path.join(checkout.path, ".git")];
    expect(inspected.length).toBeGreaterThan(10);
    for (const file of inspected) {
      const content = await readFile(file, "latin1");
      for (const secret of secrets) expect(content.includes(secret), `${file} holds the token`).toBe(false);
    }
    expect(gitPointer).toContain(mirror);
    const remotes = await git(checkout.path, "remote", "-v");
    expect(remotes).toContain(cloneUrl);
    for (const secret of secrets) expect(remotes).not.toContain(secret);
    const argv = await readFile(argvLog, "utf8");
    expect(argv).toContain("ls-remote");
    expect(argv).toContain("push");
    for (const secret of secrets) expect(argv).not.toContain(secret);
  });

  it("fails with a redacted error when the token is refused, and never prompts", async () => {
    const origin = await makeOrigin({ "a.txt": "a\n" });
    const cloneUrl = await serve(origin);
    const { workspace } = await newWorkspace();
    const wrong = "ghs_wrongTokenwrongTokenwrongToken";

    const failure = await workspace.checkout(request(cloneUrl, { token: async () => wrong })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GitOperationError);
    const message = (failure as Error).message;
    expect(message).toMatch(/ls-remote/);
    expect(message).toMatch(/did not accept the installation token/);
    expect(message).not.toContain(wrong);
    expect(message).not.toContain(basicCredentials(wrong));
    expect(server.requests.some((r) => !r.authorized)).toBe(true);
  });

  it("skips the fetch when nothing moved and fetches again when upstream gained a commit", async () => {
    const origin = await makeOrigin({ "a.txt": "a\n" });
    const cloneUrl = await serve(origin);
    const { workspace } = await newWorkspace();
    const fetches = () => server.requests.filter((r) => r.command === "fetch").length;

    const first = await workspace.checkout(request(cloneUrl, { runId: "one" }));
    await workspace.release(first);
    expect(fetches()).toBe(1);

    const before = server.requests.length;
    const second = await workspace.checkout(request(cloneUrl, { runId: "two" }));
    await workspace.release(second);
    // One ref listing (info/refs, then ls-refs) and no fetch at all.
    expect(server.requests.slice(before).map((r) => r.command ?? r.method)).toEqual(["GET", "ls-refs"]);
    expect(fetches()).toBe(1);

    const upstream = await commitFiles(origin.work, { "b.txt": "b\n" }, "second");
    await git(origin.work, "push", "--quiet", origin.bare, "main");
    const third = await workspace.checkout(request(cloneUrl, { runId: "three" }));
    expect(fetches()).toBe(2);
    expect(third.baseSha).toBe(upstream);
    expect(await readFile(path.join(third.path, "b.txt"), "utf8")).toBe("b\n");
  });

  it("kills a running fetch when the run is aborted, and the mirror stays usable", async () => {
    const origin = await makeOrigin({ "a.txt": "a\n" });
    let fetchHeld: () => void = () => {};
    const fetchReached = new Promise<void>((resolve) => {
      fetchHeld = resolve;
    });
    let clientGone: Promise<void> | undefined;
    let holding = true;
    const cloneUrl = await serve(origin, (r, incoming) => {
      if (!holding || r.command !== "fetch") return undefined;
      clientGone = new Promise<void>((resolve) => incoming.socket.once("close", () => resolve()));
      fetchHeld();
      return new Promise<void>(() => {});
    });
    const { workspace } = await newWorkspace();
    const controller = new AbortController();

    const running = workspace.checkout(request(cloneUrl, { signal: controller.signal })).catch((error: unknown) => error);
    await fetchReached;
    const reason = new Error("the run was stopped");
    controller.abort(reason);
    expect(await running).toBe(reason);
    // The git client hung up: its process was killed, not left waiting on the server.
    await clientGone;

    holding = false;
    const retry = await workspace.checkout(request(cloneUrl, { runId: "run-2" }));
    expect(await readFile(path.join(retry.path, "a.txt"), "utf8")).toBe("a\n");
  });
});

describe("MirrorWorkspace checkout", () => {
  it("fetches only the new objects into the existing mirror on a second checkout", async () => {
    const origin = await makeOrigin({ "a.txt": "a\n", "lib/b.txt": "b\n" });
    const { workspace } = await newWorkspace();
    const first = await workspace.checkout(request(origin.bare, { runId: "first" }));
    await workspace.release(first);
    const mirror = first.mirrorPath!;
    const packsBefore = await packFiles(mirror);
    const objectsBefore = await objectCount(mirror);

    const before = await git(origin.bare, "rev-parse", "main");
    const after = await commitFiles(origin.work, { "lib/c.txt": "c\n" }, "more");
    await git(origin.work, "push", "--quiet", origin.bare, "main");
    const newObjects = (await git(origin.bare, "rev-list", "--objects", after, "--not", before)).split("\n").length;

    const second = await workspace.checkout(request(origin.bare, { runId: "second" }));
    expect(second.baseSha).toBe(after);
    expect(await objectCount(mirror)).toBe(objectsBefore + newObjects);
    const packsAfter = await packFiles(mirror);
    for (const [name, inode] of packsBefore) expect(packsAfter.get(name)).toBe(inode);
  });

  it("gives an empty repository an unborn branch the agent can commit to", async () => {
    const origin = await makeOrigin();
    const { workspace } = await newWorkspace();
    const checkout = await workspace.checkout(request(origin.bare));
    expect(checkout).toMatchObject({ emptyRepository: true, branchExisted: false, baseSha: "" });
    expect(await git(checkout.path, "symbolic-ref", "HEAD")).toBe(`refs/heads/${BRANCH}`);

    await writeFile(path.join(checkout.path, "README.md"), "# new\n");
    await mkdir(path.join(checkout.path, ".github/workflows"), { recursive: true });
    await writeFile(path.join(checkout.path, ".github/workflows/ci.yml"), "on: push\n");
    const result = await workspace.commit(checkout, { message: "Start", author: AUTHOR, protectedPaths: [".github/workflows/**"] });
    expect(result.changedPaths).toEqual(["README.md"]);
    expect(result.droppedPaths).toEqual([".github/workflows/ci.yml"]);
    expect(await git(checkout.path, "rev-list", "--parents", "-n", "1", "HEAD")).toBe(result.sha);
    await workspace.push(checkout, { cloneUrl: origin.bare, token: async () => TOKEN });
    expect(await git(origin.bare, "rev-parse", `refs/heads/${BRANCH}`)).toBe(result.sha);
  });

  it("names the missing default branch and what to check", async () => {
    const origin = await makeOrigin({ "a.txt": "a\n" });
    const { workspace } = await newWorkspace();
    const failure = workspace.checkout(request(origin.bare, { defaultBranch: "trunk" }));
    await expect(failure).rejects.toBeInstanceOf(GitOperationError);
    await expect(failure).rejects.toThrow(/default branch "trunk" does not exist in acme\/widgets .*main.*Check the repository's default branch/);
  });

  it("starts from the remote branch when it exists and pushes a fast-forward on top", async () => {
    const origin = await makeOrigin({ "a.txt": "a\n" });
    await git(origin.work, "checkout", "--quiet", "-b", BRANCH);
    const branchHead = await commitFiles(origin.work, { "earlier.txt": "from the first run\n" }, "earlier run");
    await git(origin.work, "push", "--quiet", origin.bare, BRANCH);
    const { workspace } = await newWorkspace();

    const checkout = await workspace.checkout(request(origin.bare));
    expect(checkout).toMatchObject({ branchExisted: true, baseSha: branchHead });
    expect(await readFile(path.join(checkout.path, "earlier.txt"), "utf8")).toBe("from the first run\n");
    await writeFile(path.join(checkout.path, "later.txt"), "revision\n");
    const { sha } = await workspace.commit(checkout, { message: "Address review", author: AUTHOR, protectedPaths: [] });
    await workspace.push(checkout, { cloneUrl: origin.bare, token: async () => TOKEN });
    expect(await git(origin.bare, "rev-parse", `refs/heads/${BRANCH}`)).toBe(sha);
    expect(await git(origin.bare, "rev-parse", `${sha}^`)).toBe(branchHead);
  });

  it("recovers from a crashed run: leftover branch, worktree directory and stale registration", async () => {
    const origin = await makeOrigin({ "a.txt": "a\n" });
    const main = await git(origin.bare, "rev-parse", "main");
    const { root, workspace } = await newWorkspace();

    // Crash 1: a run committed on the branch and never released its worktree.
    const crashed = await workspace.checkout(request(origin.bare, { runId: "crashed" }));
    await writeFile(path.join(crashed.path, "half-done.txt"), "x\n");
    const wip = await workspace.commit(crashed, { message: "wip", author: AUTHOR, protectedPaths: [] });

    // The same branch in a new run: the crashed worktree gives the branch up.
    const next = await workspace.checkout(request(origin.bare, { runId: "next" }));
    expect(next.baseSha).toBe(main);
    expect(await git(next.path, "rev-parse", "HEAD")).toBe(main);
    await expect(stat(path.join(next.path, "half-done.txt"))).rejects.toThrow();
    // The crashed worktree was only detached: its commit and files are still there to inspect.
    expect(await git(crashed.path, "rev-parse", "HEAD")).toBe(wip.sha);
    expect(await git(crashed.path, "status", "--porcelain", "--branch")).toMatch(/^## HEAD \(no branch\)$/);

    // Crash 2: the same run id again, its directory full of junk.
    await writeFile(path.join(next.path, "junk.txt"), "junk\n");
    const again = await workspace.checkout(request(origin.bare, { runId: "next" }));
    expect(again.path).toBe(path.join(root, "worktrees", "next"));
    await expect(stat(path.join(again.path, "junk.txt"))).rejects.toThrow();

    // Crash 3: someone deleted a worktree directory without telling git.
    await rm(again.path, { recursive: true, force: true });
    const last = await workspace.checkout(request(origin.bare, { runId: "last" }));
    expect(await git(last.path, "symbolic-ref", "HEAD")).toBe(`refs/heads/${BRANCH}`);
  });

  it("lets two runs on the same repository check out concurrently from a cold start", async () => {
    const origin = await makeOrigin({ "a.txt": "a\n", "src/x.ts": "x\n" });
    const { root, workspace } = await newWorkspace();
    // A second instance stands in for another worker process on the same data directory.
    const other = new MirrorWorkspace({ root });
    const [one, two] = await Promise.all([
      workspace.checkout(request(origin.bare, { runId: "alpha", branch: "planwright/issue-1-a" })),
      other.checkout(request(origin.bare, { runId: "beta", branch: "planwright/issue-2-b" })),
    ]);
    expect(one.mirrorPath).toBe(two.mirrorPath);
    expect(await readFile(path.join(one.path, "src/x.ts"), "utf8")).toBe("x\n");
    expect(await readFile(path.join(two.path, "src/x.ts"), "utf8")).toBe("x\n");
    expect(await git(one.mirrorPath!, "fsck", "--no-progress")).toBe("");
    const listed = await git(one.mirrorPath!, "worktree", "list", "--porcelain");
    expect(listed).toContain("branch refs/heads/planwright/issue-1-a");
    expect(listed).toContain("branch refs/heads/planwright/issue-2-b");
  });

  it("rejects run ids and branch names that could escape or confuse git", async () => {
    const origin = await makeOrigin({ "a.txt": "a\n" });
    const { workspace } = await newWorkspace();
    await expect(workspace.checkout(request(origin.bare, { runId: "../escape" }))).rejects.toThrow(/run id/);
    await expect(workspace.checkout(request(origin.bare, { branch: "bad..name" }))).rejects.toThrow(/not a valid branch name/);
    await expect(workspace.checkout(request(origin.bare, { branch: "--upload-pack=evil" }))).rejects.toThrow(/not a valid branch name/);
  });
});

describe("MirrorWorkspace pruneIdleMirrors", () => {
  const past = async (file: string, ms: number): Promise<void> => {
    const at = new Date(Date.now() - ms);
    await utimes(file, at, at);
  };

  it("deletes a mirror and its parked worktrees once no run used it since the cutoff, and clones again later", async () => {
    const origin = await makeOrigin({ "a.txt": "a\n" });
    const { root, workspace } = await newWorkspace();
    const first = await workspace.checkout(request(origin.bare, { runId: "first" }));
    await workspace.release(first);
    const mirror = first.mirrorPath!;
    const parked = async (): Promise<string[]> =>
      (await readdir(path.join(root, "parked"), { recursive: true }).catch(() => [] as string[])).filter((p) => p.includes("widgets"));
    expect(await parked()).not.toEqual([]); // the released worktree waits there for reuse

    expect(await workspace.pruneIdleMirrors(Date.now() - 60_000)).toBe(0); // used a moment ago
    expect(existsSync(mirror)).toBe(true);

    await past(path.join(mirror, "planwright-last-used"), 2 * 60_000);
    expect(await workspace.pruneIdleMirrors(Date.now() - 60_000)).toBe(1);
    expect(existsSync(mirror)).toBe(false);
    expect(await parked()).toEqual([]);

    // A later run on the repository simply starts from a fresh clone.
    const again = await workspace.checkout(request(origin.bare, { runId: "again" }));
    expect(await readFile(path.join(again.path, "a.txt"), "utf8")).toBe("a\n");
  });

  it("keeps an idle-looking mirror while a run's worktree is checked out from it", async () => {
    const origin = await makeOrigin({ "a.txt": "a\n" });
    const { workspace } = await newWorkspace();
    const running = await workspace.checkout(request(origin.bare, { runId: "running" }));
    const mirror = running.mirrorPath!;
    await past(path.join(mirror, "planwright-last-used"), 2 * 60_000);

    expect(await workspace.pruneIdleMirrors(Date.now() - 60_000)).toBe(0);
    expect(existsSync(mirror)).toBe(true);
    expect(await readFile(path.join(running.path, "a.txt"), "utf8")).toBe("a\n");

    await workspace.release(running);
    expect(await workspace.pruneIdleMirrors(Date.now() - 60_000)).toBe(1);
  });

  it("has nothing to do before the first checkout", async () => {
    const { workspace } = await newWorkspace();
    expect(await workspace.pruneIdleMirrors(Date.now())).toBe(0);
  });
});

describe("MirrorWorkspace commit", () => {
  async function checkedOut(files: Record<string, string>) {
    const origin = await makeOrigin(files);
    const { workspace } = await newWorkspace();
    const checkout = await workspace.checkout(request(origin.bare));
    return { origin, workspace, checkout };
  }

  it("leaves protected paths out, says which, and keeps a protected file the agent deleted", async () => {
    const { workspace, checkout } = await checkedOut({ ".github/workflows/old.yml": "on: push\n", "src/a.ts": "a\n" });
    await writeFile(path.join(checkout.path, "src/a.ts"), "changed\n");
    await mkdir(path.join(checkout.path, ".github/workflows"), { recursive: true });
    await writeFile(path.join(checkout.path, ".github/workflows/ci.yml"), "on: pull_request\n");
    await rm(path.join(checkout.path, ".github/workflows/old.yml"));

    const result = await workspace.commit(checkout, {
      message: "Change a",
      author: AUTHOR,
      protectedPaths: [".github/workflows/**"],
    });
    expect(result.changedPaths).toEqual(["src/a.ts"]);
    expect(result.droppedPaths.sort()).toEqual([".github/workflows/ci.yml", ".github/workflows/old.yml"]);
    const tree = (await git(checkout.path, "ls-tree", "-r", "--name-only", "HEAD")).split("\n");
    expect(tree).toEqual([".github/workflows/old.yml", "src/a.ts"]);
    expect(await git(checkout.path, "show", "HEAD:src/a.ts")).toBe("changed");
  });

  it("leaves excluded paths (setup artifacts) out without reporting them as dropped", async () => {
    const { workspace, checkout } = await checkedOut({ "package-lock.json": "{}\n", "src/a.ts": "a\n" });
    await writeFile(path.join(checkout.path, "package-lock.json"), '{"lockfileVersion":3}\n');
    await writeFile(path.join(checkout.path, "src/a.ts"), "b\n");
    const result = await workspace.commit(checkout, {
      message: "Change a",
      author: AUTHOR,
      protectedPaths: [],
      excludePaths: ["package-lock.json"],
    });
    expect(result).toMatchObject({ changedPaths: ["src/a.ts"], droppedPaths: [] });
    expect(await git(checkout.path, "show", "HEAD:package-lock.json")).toBe("{}");
  });

  it("commits as the given author and committer, with the message verbatim", async () => {
    const { workspace, checkout } = await checkedOut({ "a.txt": "a\n" });
    await writeFile(path.join(checkout.path, "a.txt"), "b\n");
    const message = "Fix: handle `--flags` and $VARS\n\nBody line.";
    const { sha } = await workspace.commit(checkout, { message, author: AUTHOR, protectedPaths: [] });
    expect(await git(checkout.path, "log", "-1", "--format=%an <%ae>|%cn <%ce>", sha!)).toBe(
      `${AUTHOR.name} <${AUTHOR.email}>|${AUTHOR.name} <${AUTHOR.email}>`,
    );
    expect(await git(checkout.path, "log", "-1", "--format=%B", sha!)).toBe(message);
    await expect(stat(path.join(await git(checkout.path, "rev-parse", "--absolute-git-dir"), "PLANWRIGHT_COMMIT_MSG"))).rejects.toThrow();
  });

  it("returns null when nothing changed, or only protected files did", async () => {
    const { workspace, checkout } = await checkedOut({ "a.txt": "a\n" });
    const head = await git(checkout.path, "rev-parse", "HEAD");
    expect(await workspace.commit(checkout, { message: "x", author: AUTHOR, protectedPaths: [] })).toEqual({
      sha: null,
      droppedPaths: [],
      changedPaths: [],
    });
    await mkdir(path.join(checkout.path, ".github/workflows"), { recursive: true });
    await writeFile(path.join(checkout.path, ".github/workflows/ci.yml"), "on: push\n");
    const onlyProtected = await workspace.commit(checkout, { message: "x", author: AUTHOR, protectedPaths: [".github/workflows"] });
    expect(onlyProtected).toEqual({ sha: null, droppedPaths: [".github/workflows/ci.yml"], changedPaths: [] });
    expect(await git(checkout.path, "rev-parse", "HEAD")).toBe(head);
  });

  it("commits symlinks as links, never what they point to, and leaves out repositories the agent created", async () => {
    const { workspace, checkout } = await checkedOut({ "a.txt": "a\n" });
    await symlink("/etc/passwd", path.join(checkout.path, "passwd-link"));
    const nested = path.join(checkout.path, "vendor/lib");
    await mkdir(nested, { recursive: true });
    await git(nested, "init", "--quiet");
    await writeFile(path.join(nested, "x.txt"), "x\n");
    await git(nested, "add", "x.txt");
    await git(nested, "commit", "--quiet", "-m", "nested");

    const result = await workspace.commit(checkout, { message: "links", author: AUTHOR, protectedPaths: [] });
    expect(result.changedPaths).toEqual(["passwd-link"]);
    expect(result.droppedPaths).toEqual(["vendor/lib"]);
    expect(await git(checkout.path, "ls-tree", "HEAD", "passwd-link")).toMatch(/^120000 blob /);
    expect(await git(checkout.path, "cat-file", "-p", "HEAD:passwd-link")).toBe("/etc/passwd");
    expect((await lstat(path.join(checkout.path, "passwd-link"))).isSymbolicLink()).toBe(true);
  });
});

describe("MirrorWorkspace push", () => {
  async function committed(files: Record<string, string>) {
    const origin = await makeOrigin(files);
    const { workspace } = await newWorkspace();
    const checkout = await workspace.checkout(request(origin.bare));
    await writeFile(path.join(checkout.path, "new.txt"), "new\n");
    await workspace.commit(checkout, { message: "Add new", author: AUTHOR, protectedPaths: [] });
    return { origin, workspace, checkout };
  }

  it("throws PushRejectedError when someone pushed to the branch after checkout", async () => {
    const { origin, workspace, checkout } = await committed({ "a.txt": "a\n" });
    await git(origin.work, "checkout", "--quiet", "-b", BRANCH);
    const theirs = await commitFiles(origin.work, { "theirs.txt": "t\n" }, "someone else");
    await git(origin.work, "push", "--quiet", origin.bare, BRANCH);

    const failure = await workspace.push(checkout, { cloneUrl: origin.bare, token: async () => TOKEN }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PushRejectedError);
    expect((failure as PushRejectedError).branch).toBe(BRANCH);
    expect((failure as Error).message).toMatch(/fetch first|non-fast-forward/);
    expect(await git(origin.bare, "rev-parse", `refs/heads/${BRANCH}`)).toBe(theirs);
  });

  it("keeps the run's commit on a rescue branch when the push races someone else's (pushOrRescue)", async () => {
    const { origin, workspace, checkout } = await committed({ "a.txt": "a\n" });
    const ours = await git(checkout.path, "rev-parse", "HEAD");
    await git(origin.work, "checkout", "--quiet", "-b", BRANCH);
    const theirs = await commitFiles(origin.work, { "theirs.txt": "t\n" }, "someone else");
    await git(origin.work, "push", "--quiet", origin.bare, BRANCH);

    const failure = await pushOrRescue(workspace, checkout, { cloneUrl: origin.bare, token: async () => TOKEN }, "0123456789abcdef").catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PushRejectedError);
    const rescue = `${BRANCH}-rescued-01234567`;
    expect((failure as PushRejectedError).rescuedTo).toBe(rescue);
    expect((failure as Error).message).toContain(`Nothing is lost: this run's commit is on the branch ${rescue}`);
    // Their commit stays where it was; ours is on the rescue branch.
    expect(await git(origin.bare, "rev-parse", `refs/heads/${BRANCH}`)).toBe(theirs);
    expect(await git(origin.bare, "rev-parse", `refs/heads/${rescue}`)).toBe(ours);
  });

  it("explains GitHub's refusal of workflow changes without the workflows permission", async () => {
    const { origin, workspace, checkout } = await committed({ "a.txt": "a\n" });
    const hook = path.join(origin.bare, "hooks", "pre-receive");
    await writeFile(
      hook,
      "#!/bin/sh\necho 'refusing to allow a GitHub App to create or update workflow `.github/workflows/ci.yml` without `workflows` permission'\nexit 1\n",
    );
    await chmod(hook, 0o755);

    const failure = await workspace.push(checkout, { cloneUrl: origin.bare, token: async () => TOKEN }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(GitOperationError);
    expect((failure as Error).message).toMatch(/lacks the "workflows" permission/);
    expect((failure as Error).message).toMatch(/refusing to allow a GitHub App/);
    expect((failure as GitOperationError).operation).toBe("push");
  });

  it("reports other failures as GitOperationError with git's words, redacted", async () => {
    const { workspace, checkout } = await committed({ "a.txt": "a\n" });
    const missing = path.join(os.tmpdir(), `pw-no-such-repo-${process.pid}`, `x-access-token:${TOKEN}@nowhere`);
    const failure = await workspace.push(checkout, { cloneUrl: missing, token: async () => TOKEN }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(GitOperationError);
    expect((failure as Error).message).toMatch(/does not appear to be a git repository/);
    expect((failure as Error).message).not.toContain(TOKEN);
  });
});

describe("MirrorWorkspace release", () => {
  it("removes the worktree and its branch but keeps the mirror", async () => {
    const origin = await makeOrigin({ "a.txt": "a\n" });
    const { workspace } = await newWorkspace();
    const checkout: Checkout = await workspace.checkout(request(origin.bare));
    await writeFile(path.join(checkout.path, "untracked.txt"), "u\n");
    await workspace.release(checkout);

    await expect(stat(checkout.path)).rejects.toThrow();
    const mirror = checkout.mirrorPath!;
    expect(await git(mirror, "worktree", "list", "--porcelain")).not.toContain(checkout.path);
    expect(await git(mirror, "branch", "--list", BRANCH)).toBe("");
    expect(await git(mirror, "rev-parse", "refs/remotes/origin/main")).toBe(await git(origin.bare, "rev-parse", "main"));
  });
});

describe("MirrorWorkspace worktree reuse", () => {
  /** Parked worktrees of acme/widgets (local origin), as directory names. */
  async function parked(root: string): Promise<string[]> {
    return (await readdir(path.join(root, "parked", "local", "acme", "widgets")).catch(() => [])).sort();
  }

  async function linkedWorktrees(mirror: string): Promise<string[]> {
    const listing = await git(mirror, "worktree", "list", "--porcelain");
    return listing
      .split("\n")
      .filter((line) => line.startsWith("worktree ") && !line.endsWith(".git"))
      .map((line) => line.slice("worktree ".length));
  }

  it("switches a parked worktree to the new run's commit and branch with nothing of the last run left", async () => {
    const origin = await makeOrigin({ ".gitignore": "node_modules/\n*.log\n", "a.txt": "a\n", "src/x.ts": "x\n" });
    const { root, workspace } = await newWorkspace();
    const first = await workspace.checkout(request(origin.bare, { runId: "one", branch: "planwright/issue-1-one" }));
    expect(first.reused).toBe(false);

    // The run leaves everything a run can: edits, deletions, untracked and ignored files,
    // a commit, git state in its git directory, and an index that hides a changed file.
    await writeFile(path.join(first.path, "a.txt"), "edited by run one\n");
    await git(first.path, "update-index", "--assume-unchanged", "a.txt");
    await rm(path.join(first.path, "src/x.ts"));
    await writeFile(path.join(first.path, "untracked.txt"), "u\n");
    await mkdir(path.join(first.path, "node_modules/pkg"), { recursive: true });
    await writeFile(path.join(first.path, "node_modules/pkg/index.js"), "module.exports = 1;\n");
    await writeFile(path.join(first.path, "debug.log"), "log\n");
    await writeFile(path.join(first.path, "committed.txt"), "c\n");
    await workspace.commit(first, { message: "run one", author: AUTHOR, protectedPaths: [] });
    await writeFile(path.join(first.gitDir, "PLANWRIGHT_COMMIT_MSG"), "left by a crash\n");
    await writeFile(path.join(first.gitDir, "MERGE_HEAD"), `${first.baseSha}\n`);
    await writeFile(path.join(first.gitDir, "locked"), "locked by the agent\n");
    await workspace.release(first);

    expect(await parked(root)).toHaveLength(1);
    await expect(stat(first.path)).rejects.toThrow();
    expect(await git(first.mirrorPath, "branch", "--list", "planwright/issue-1-one")).toBe("");

    const upstream = await commitFiles(origin.work, { "b.txt": "b\n" }, "upstream moved");
    await git(origin.work, "push", "--quiet", origin.bare, "main");
    const second = await workspace.checkout(request(origin.bare, { runId: "two", branch: "planwright/issue-2-two" }));

    expect(second).toMatchObject({ reused: true, baseSha: upstream, path: path.join(root, "worktrees", "two") });
    expect(second.gitDir).toBe(first.gitDir);
    expect(await parked(root)).toEqual([]);
    expect(await git(second.path, "rev-parse", "HEAD")).toBe(upstream);
    expect(await git(second.path, "symbolic-ref", "HEAD")).toBe("refs/heads/planwright/issue-2-two");
    expect(await readFile(path.join(second.path, "a.txt"), "utf8")).toBe("a\n");
    expect(await readFile(path.join(second.path, "src/x.ts"), "utf8")).toBe("x\n");
    expect(await readFile(path.join(second.path, "b.txt"), "utf8")).toBe("b\n");
    for (const gone of ["untracked.txt", "node_modules", "debug.log", "committed.txt"]) {
      await expect(stat(path.join(second.path, gone)), gone).rejects.toThrow();
    }
    expect(await git(second.path, "status", "--porcelain", "--ignored", "--untracked-files=all")).toBe("");
    expect(await git(second.path, "ls-files", "-v", "a.txt")).toBe("H a.txt");
    const gitFiles = await readdir(second.gitDir);
    for (const leftover of ["PLANWRIGHT_COMMIT_MSG", "MERGE_HEAD", "locked"]) expect(gitFiles).not.toContain(leftover);
    expect(second.sandboxPaths).toEqual({ readOnly: [second.mirrorPath], writable: [second.gitDir] });

    // And it works as a fresh one would.
    await writeFile(path.join(second.path, "new.txt"), "new\n");
    const { sha } = await workspace.commit(second, { message: "run two", author: AUTHOR, protectedPaths: [] });
    await workspace.push(second, { cloneUrl: origin.bare, token: async () => TOKEN });
    expect(await git(origin.bare, "rev-parse", "refs/heads/planwright/issue-2-two")).toBe(sha);
    expect(await git(origin.bare, "rev-parse", `${sha}^`)).toBe(upstream);
    expect(await git(second.mirrorPath, "fsck", "--no-progress", "--no-dangling")).toBe("");
  });

  it("never hands one parked worktree to two concurrent checkouts", async () => {
    const origin = await makeOrigin({ "a.txt": "a\n" });
    const { root, workspace } = await newWorkspace();
    const other = new MirrorWorkspace({ root });
    await workspace.release(await workspace.checkout(request(origin.bare, { runId: "warmup" })));
    expect(await parked(root)).toHaveLength(1);

    const runs = await Promise.all(
      ["p", "q", "r"].map((id, index) =>
        (index % 2 === 0 ? workspace : other).checkout(request(origin.bare, { runId: id, branch: `planwright/issue-${index}-${id}` })),
      ),
    );
    expect(runs.filter((run) => run.reused)).toHaveLength(1);
    expect(new Set(runs.map((run) => run.path)).size).toBe(3);
    expect(new Set(runs.map((run) => run.gitDir)).size).toBe(3);
    for (const run of runs) {
      expect(await readFile(path.join(run.path, "a.txt"), "utf8")).toBe("a\n");
      expect(await git(run.path, "symbolic-ref", "HEAD")).toBe(`refs/heads/${run.branch}`);
    }
    expect((await linkedWorktrees(runs[0]!.mirrorPath)).sort()).toEqual(runs.map((run) => run.path).sort());
  });

  it("keeps at most parkedPerMirror worktrees and removes the rest", async () => {
    const origin = await makeOrigin({ "a.txt": "a\n" });
    const { root, workspace } = await newWorkspace();
    const runs = await Promise.all(
      ["p", "q", "r"].map((id, index) => workspace.checkout(request(origin.bare, { runId: id, branch: `planwright/issue-${index}-${id}` }))),
    );
    for (const run of runs) await workspace.release(run);

    expect(await parked(root)).toHaveLength(2);
    const mirror = runs[0]!.mirrorPath;
    expect(await linkedWorktrees(mirror)).toHaveLength(2);
    expect(await readdir(path.join(mirror, "worktrees"))).toHaveLength(2);
    expect(await git(mirror, "branch", "--list")).toBe("");

    const none = await newWorkspace({ parkedPerMirror: 0 });
    const unparked = await none.workspace.checkout(request(origin.bare));
    await none.workspace.release(unparked);
    expect(await parked(none.root)).toEqual([]);
    expect(await linkedWorktrees(unparked.mirrorPath)).toEqual([]);
  });

  it("falls back to a new worktree when the parked one was deleted, and drops what is not a worktree", async () => {
    const origin = await makeOrigin({ "a.txt": "a\n" });
    const { root, workspace } = await newWorkspace();
    const first = await workspace.checkout(request(origin.bare, { runId: "one" }));
    await workspace.release(first);
    const [name] = await parked(root);
    const pool = path.join(root, "parked", "local", "acme", "widgets");
    await rm(path.join(pool, name!), { recursive: true, force: true });
    await mkdir(path.join(pool, "not-a-worktree"));

    const second = await workspace.checkout(request(origin.bare, { runId: "two" }));
    expect(second.reused).toBe(false);
    expect(await readFile(path.join(second.path, "a.txt"), "utf8")).toBe("a\n");
    expect(await parked(root)).toEqual([]);
    expect(await linkedWorktrees(second.mirrorPath)).toEqual([second.path]);
  });

  it("falls back to a new worktree when a parked one is damaged", async () => {
    const origin = await makeOrigin({ "a.txt": "a\n" });
    // A git that fails `git clean` once when told to: the switch then fails after the worktree was taken.
    const wrapperDir = await tempDir("pw-git-wrapper-");
    const failClean = path.join(wrapperDir, "fail-clean");
    const wrapper = path.join(wrapperDir, "git");
    await writeFile(
      wrapper,
      `#!/bin/sh\ncase " $* " in *" clean "*) if [ -e '${failClean}' ]; then rm -f '${failClean}'; echo simulated >&2; exit 1; fi;; esac\nexec git "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    const warnings: string[] = [];
    const { root, workspace } = await newWorkspace({ gitBinary: wrapper, log: { warn: (message) => warnings.push(message) } });
    const pool = path.join(root, "parked", "local", "acme", "widgets");

    const first = await workspace.checkout(request(origin.bare, { runId: "one" }));
    await workspace.release(first);
    await writeFile(failClean, "");
    const second = await workspace.checkout(request(origin.bare, { runId: "two" }));
    expect(second.reused).toBe(false);
    expect(await readFile(path.join(second.path, "a.txt"), "utf8")).toBe("a\n");
    expect(await git(second.path, "status", "--porcelain")).toBe("");
    expect(warnings.join("\n")).toMatch(/could not reuse a parked worktree for run two/);

    // An index git cannot read, or a .git file pointing elsewhere: git will not move it, so it is removed.
    await workspace.release(second);
    const [name] = await parked(root);
    await writeFile(path.join(second.gitDir, "index"), "not an index");
    const third = await workspace.checkout(request(origin.bare, { runId: "three" }));
    expect(third.reused).toBe(false);
    expect(await parked(root)).toEqual([]);
    await workspace.release(third);
    const [other] = await parked(root);
    expect(other).not.toBe(name);
    await writeFile(path.join(pool, other!, ".git"), "gitdir: /nowhere\n");
    const fourth = await workspace.checkout(request(origin.bare, { runId: "four" }));
    expect(fourth.reused).toBe(false);
    expect(await parked(root)).toEqual([]);
    expect(await linkedWorktrees(fourth.mirrorPath)).toEqual([fourth.path]);
    expect(await readFile(path.join(fourth.path, "a.txt"), "utf8")).toBe("a\n");
  });

  it("reuses worktrees parked before a restart, and moves the run's branch to where GitHub has it", async () => {
    const origin = await makeOrigin({ "a.txt": "a\n" });
    await git(origin.work, "checkout", "--quiet", "-b", BRANCH);
    await commitFiles(origin.work, { "earlier.txt": "first run\n" }, "first run");
    await git(origin.work, "push", "--quiet", origin.bare, BRANCH);
    const { root, workspace } = await newWorkspace();
    const crashed = await workspace.checkout(request(origin.bare, { runId: "crashed", branch: "planwright/unrelated" }));
    const first = await workspace.checkout(request(origin.bare, { runId: "one" }));
    expect(first.branchExisted).toBe(true);
    await workspace.release(first);
    // A crashed run has the branch checked out.
    await git(crashed.path, "checkout", "--quiet", "-B", BRANCH);

    // Someone pushes to the branch meanwhile, and planwright restarts.
    const moved = await commitFiles(origin.work, { "earlier.txt": "reviewer's fix\n", "more.txt": "m\n" }, "review fix");
    await git(origin.work, "push", "--quiet", origin.bare, BRANCH);
    const restarted = new MirrorWorkspace({ root });

    const second = await restarted.checkout(request(origin.bare, { runId: "two" }));
    expect(second).toMatchObject({ reused: true, branchExisted: true, baseSha: moved });
    expect(await git(second.path, "rev-parse", "HEAD")).toBe(moved);
    expect(await git(second.path, "symbolic-ref", "HEAD")).toBe(`refs/heads/${BRANCH}`);
    expect(await readFile(path.join(second.path, "earlier.txt"), "utf8")).toBe("reviewer's fix\n");
    expect(await readFile(path.join(second.path, "more.txt"), "utf8")).toBe("m\n");
    expect(await git(crashed.path, "status", "--porcelain", "--branch")).toMatch(/^## HEAD \(no branch\)/);
  });
});

describe("MirrorWorkspace commit after a run's commands had write access to the git directory", () => {
  it("commits what is on disk onto the run's branch, whatever HEAD, the index or the .git file say", async () => {
    const origin = await makeOrigin({ "a.txt": "a\n", "b.txt": "b\n" });
    const { workspace } = await newWorkspace();
    const checkout = await workspace.checkout(request(origin.bare));
    const mirror = checkout.mirrorPath;
    const base = checkout.baseSha;
    await git(mirror, "update-ref", "refs/heads/someone-else", base);

    await writeFile(path.join(checkout.path, "a.txt"), "changed and hidden from the index\n");
    await git(checkout.path, "update-index", "--assume-unchanged", "a.txt");
    await writeFile(path.join(checkout.path, "b.txt"), "changed\n");
    await writeFile(path.join(checkout.gitDir, "HEAD"), "ref: refs/heads/someone-else\n");
    const decoy = path.join(checkout.path, "decoy");
    await git(checkout.path, "init", "--quiet", "--bare", decoy);
    await writeFile(path.join(checkout.path, ".git"), `gitdir: ${decoy}\n`);

    const { sha, changedPaths } = await workspace.commit(checkout, { message: "work", author: AUTHOR, protectedPaths: ["decoy/**"] });
    expect(changedPaths.sort()).toEqual(["a.txt", "b.txt"]);
    expect(await git(mirror, "rev-parse", `refs/heads/${BRANCH}`)).toBe(sha);
    expect(await git(mirror, "rev-parse", "refs/heads/someone-else")).toBe(base);
    expect(await git(mirror, "show", `${sha}:a.txt`)).toBe("changed and hidden from the index");
    expect(await git(decoy, "rev-list", "--all")).toBe("");
  });
});
