import { existsSync } from "node:fs";
import { chown, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BwrapSandbox } from "../../src/sandbox/bwrap-sandbox.js";
import type { CommandRequest } from "../../src/sandbox/sandbox.js";
import { git } from "../helpers/git-repo.js";
import { TempDirs, bwrapSkipReason, bwrapUsable, newMarker, processesMarked } from "./sandbox-helpers.js";

/**
 * The layout planwright uses: worktrees inside the data directory, the app's
 * `.env` and key next to it. It lives under /var/tmp, not /tmp, because the
 * sandbox's private /tmp would hide anything under /tmp whether or not the
 * hiding under test works.
 */
interface Layout {
  dataDir: string;
  worktree: string;
  envFile: string;
  keyLink: string;
  outside: string;
}

const SECRET = "WEBHOOK_SECRET=do-not-leak-0123";

describe.skipIf(!bwrapUsable)(`BwrapSandbox isolation${bwrapSkipReason}`, () => {
  const temp = new TempDirs();
  let layout: Layout;
  let sandbox: BwrapSandbox;

  beforeAll(async () => {
    const base = await temp.make("planwright-bwrap-test-", "/var/tmp");
    const dataDir = join(base, "data");
    const worktree = join(dataDir, "worktrees", "acme-widgets-1");
    await mkdir(worktree, { recursive: true });
    await writeFile(join(dataDir, "queue.db"), "queue contents");
    const appDir = join(base, "app");
    await mkdir(appDir);
    const envFile = join(appDir, ".env");
    await writeFile(envFile, `${SECRET}\n`);
    await writeFile(join(appDir, "app.pem"), "-----BEGIN RSA PRIVATE KEY-----\n");
    // Hidden through a symlink: the real file must be covered, not just the link.
    const keyLink = join(appDir, "key-link.pem");
    await symlink(join(appDir, "app.pem"), keyLink);
    const outside = join(base, "outside");
    await mkdir(outside);
    layout = { dataDir, worktree, envFile, keyLink, outside };
    sandbox = new BwrapSandbox({ hiddenPaths: [dataDir, envFile, keyLink] });
  });
  afterAll(() => temp.cleanup());

  const run = (command: string, network = true) =>
    sandbox.run({ command, cwd: layout.worktree, timeoutMs: 15_000, network });

  it("without hidden paths, the data directory and .env are readable (so the tests below mean something)", async () => {
    const open = new BwrapSandbox({ hiddenPaths: [] });
    const result = await open.run({
      command: `cat ${layout.dataDir}/queue.db; echo; cat ${layout.envFile}`,
      cwd: layout.worktree,
      timeoutMs: 15_000,
    });
    expect(result.stdout).toContain("queue contents");
    expect(result.stdout).toContain(SECRET);
  });

  it("shows the data directory empty except for the path down to the worktree", async () => {
    const result = await run(`ls -A ${layout.dataDir}; cat ${layout.dataDir}/queue.db`);
    expect(result.stdout).toBe("worktrees\n");
    expect(result.exitCode).not.toBe(0);
    expect(result.output).not.toContain("queue contents");
  });

  it("keeps a worktree inside the hidden data directory visible and writable", async () => {
    await writeFile(join(layout.worktree, "README.md"), "hello\n");
    const result = await run("cat README.md && echo change > made-in-sandbox.txt && pwd");
    expect(result).toMatchObject({ exitCode: 0, stdout: `hello\n${layout.worktree}\n` });
    expect(await readFile(join(layout.worktree, "made-in-sandbox.txt"), "utf8")).toBe("change\n");
  });

  it("makes hidden files unreadable, also when named through a symlink", async () => {
    const result = await run(`cat ${layout.envFile}; cat ${layout.keyLink}; cat ${layout.keyLink.replace("key-link", "app")}`);
    expect(result.exitCode).not.toBe(0);
    expect(result.output).not.toContain("do-not-leak");
    expect(result.output).not.toContain("PRIVATE KEY");
  });

  it("cannot write outside the worktree", async () => {
    const result = await run(
      `echo x > ${layout.outside}/escape.txt; echo x > ${layout.dataDir}/planted.txt; ` +
        `touch /etc/planwright-escape; echo status=$?`,
    );
    expect(result.stdout).toContain("status=1");
    expect(result.stderr).toMatch(/Read-only file system/);
    expect(existsSync(join(layout.outside, "escape.txt"))).toBe(false);
    expect(existsSync(join(layout.dataDir, "planted.txt"))).toBe(false);
    expect(existsSync("/etc/planwright-escape")).toBe(false);
  });

  it("gives the command a private /tmp that leaves nothing on the host", async () => {
    const name = `${newMarker()}.txt`;
    const result = await run(`echo scratch > /tmp/${name} && cat /tmp/${name} && echo "$TMPDIR"`);
    expect(result.stdout).toBe("scratch\n/tmp\n");
    expect(existsSync(join("/tmp", name))).toBe(false);
  });

  it("cannot undo the hiding, even as root", async () => {
    // With CAP_SYS_ADMIN a lazy unmount would reveal the data directory (checked by hand with the capability kept).
    const result = await run(
      `umount -l ${layout.dataDir}; mount -o remount,rw /; cat ${layout.dataDir}/queue.db; grep CapEff /proc/self/status`,
    );
    expect(result.output).not.toContain("queue contents");
    expect(result.stdout).toMatch(/CapEff:\s+0+\n/);
  });

  it("cannot see or signal host processes", async () => {
    const result = await run(`kill -0 ${process.pid}; echo status=$?; ls /proc | grep -c '^[0-9]'`);
    expect(result.stdout).toContain("status=1");
    const visible = Number(result.stdout.trim().split("\n").at(-1));
    expect(visible).toBeGreaterThan(0);
    expect(visible).toBeLessThan(10);
  });

  it("kills a child that left the process group with setsid when the command ends", async () => {
    const marker = newMarker();
    const result = await run(`setsid -f bash -c 'exec -a ${marker} sleep 60'; sleep 0.3; echo detached`);
    expect(result).toMatchObject({ exitCode: 0, stdout: "detached\n" });
    expect(await processesMarked(marker)).toEqual([]);
  });

  it("kills a child that left the process group with setsid at the timeout", async () => {
    const marker = newMarker();
    const result = await sandbox.run({
      command: `setsid -f bash -c 'exec -a ${marker} sleep 60'; exec -a ${marker} sleep 60`,
      cwd: layout.worktree,
      timeoutMs: 1_000,
    });
    expect(result.timedOut).toBe(true);
    expect(await processesMarked(marker)).toEqual([]);
  });

  describe("network", () => {
    let server: Server;
    let url: string;

    beforeAll(async () => {
      server = createServer((_request, response) => response.end("hello from the host"));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    // node is always there (planwright runs on it), curl may not be.
    const fetchCommand = () =>
      `node -e 'fetch(process.argv[1]).then(r => r.text()).then(t => console.log(t), e => { console.log("failed:", e.cause?.code ?? e.message); process.exit(3) })' ${url}`;

    it("reaches a host loopback server when network is allowed", async () => {
      const result = await run(fetchCommand(), true);
      expect(result).toMatchObject({ exitCode: 0, stdout: "hello from the host\n" });
    });

    it("cannot reach it with network: false (a fresh network namespace)", async () => {
      const result = await run(fetchCommand(), false);
      expect(result.exitCode).toBe(3);
      expect(result.stdout).toContain("failed: ECONNREFUSED");
      expect(result.stdout).not.toContain("hello from the host");
    });
  });
});

/**
 * A worktree as MirrorWorkspace makes it: its `.git` is a file pointing into
 * a bare mirror, and both live in the hidden data directory.
 */
describe.skipIf(!bwrapUsable)(`BwrapSandbox: git in a worktree whose repository is hidden${bwrapSkipReason}`, () => {
  const temp = new TempDirs();
  let sandbox: BwrapSandbox;
  let dataDir: string;
  let appDir: string;
  let envFile: string;
  let mirror: string;
  let worktree: string;
  let gitDir: string;

  async function addWorktree(name: string): Promise<{ worktree: string; gitDir: string }> {
    const dir = join(dataDir, "workspaces", "worktrees", name);
    await git(mirror, "worktree", "add", "--quiet", "-b", `planwright/${name}`, dir, "refs/remotes/origin/main");
    return { worktree: dir, gitDir: (await git(dir, "rev-parse", "--absolute-git-dir")).trim() };
  }

  beforeAll(async () => {
    const base = await temp.make("planwright-bwrap-git-test-", "/var/tmp");
    dataDir = join(base, "data");
    appDir = join(base, "app");
    await mkdir(appDir, { recursive: true });
    envFile = join(appDir, ".env");
    await writeFile(envFile, `${SECRET}\n`);
    const source = join(base, "source");
    await mkdir(source);
    await git(source, "init", "--quiet", "--initial-branch=main");
    await writeFile(join(source, "a.txt"), "a\n");
    await git(source, "add", "a.txt");
    await git(source, "commit", "--quiet", "-m", "initial commit");
    mirror = join(dataDir, "workspaces", "mirrors", "local", "acme", "widgets.git");
    await mkdir(mirror, { recursive: true });
    await git(mirror, "init", "--quiet", "--bare");
    await git(mirror, "fetch", "--quiet", source, "+refs/heads/main:refs/remotes/origin/main");
    ({ worktree, gitDir } = await addWorktree("run-1"));
    await writeFile(join(worktree, "a.txt"), "a\nchanged by the agent\n");
    sandbox = new BwrapSandbox({ hiddenPaths: [dataDir, envFile] });
  });
  afterAll(() => temp.cleanup());

  const run = (command: string, extra: Partial<CommandRequest> = {}) =>
    sandbox.run({ command, cwd: worktree, timeoutMs: 15_000, ...extra });
  const withGit = () => ({ readOnlyPaths: [mirror], writablePaths: [gitDir] });

  it("runs git status, diff and log when the mirror and the worktree's git directory are exposed", async () => {
    const result = await run("git status --short && git diff && git log -1 --format=%s", withGit());
    expect(result.exitCode, result.output).toBe(0);
    expect(result.stdout).toContain(" M a.txt");
    expect(result.stdout).toContain("+changed by the agent");
    expect(result.stdout).toMatch(/initial commit\n$/);
    // The rest of the data directory stays hidden.
    const listing = await run(`ls -A ${dataDir}/workspaces/mirrors/local/acme`, withGit());
    expect(listing.stdout).toBe("widgets.git\n");
  });

  it("cannot use git without them (the control)", async () => {
    const result = await run("git status --short");
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/not a git repository/);
  });

  it("cannot commit or otherwise write to the mirror, which stays intact", async () => {
    const before = await git(mirror, "for-each-ref");
    const result = await run(
      "git add a.txt; git -c user.name=agent -c user.email=agent@example.com commit -qam sneaky; echo commit=$?; " +
        "git update-ref refs/heads/planwright/run-1 HEAD~0 2>&1; git config core.hooksPath /tmp/hooks; echo config=$?",
      withGit(),
    );
    expect(result.stdout).toContain("commit=1");
    expect(result.stdout).toMatch(/config=[1-9]/);
    expect(result.output).toMatch(/Read-only file system|insufficient permission/);
    expect(await git(mirror, "for-each-ref")).toBe(before);
    expect(await git(mirror, "config", "--get", "core.hooksPath").catch(() => "unset")).toBe("unset");
    expect(await git(mirror, "fsck", "--no-progress", "--no-dangling")).toBe("");
  });

  it("refuses to expose a hidden path, even when asked, and checks what it is given", async () => {
    await expect(run(`cat ${envFile}`, { readOnlyPaths: [envFile] })).rejects.toThrow(/refusing to expose .*\.env/);
    await expect(run("true", { writablePaths: [dataDir] })).rejects.toThrow(/refusing to expose/);
    await expect(run("true", { readOnlyPaths: ["relative/dir"] })).rejects.toThrow(/not absolute/);
    await expect(run("true", { readOnlyPaths: [join(dataDir, "missing")] })).rejects.toThrow(/does not exist/);
    await expect(run("true", { readOnlyPaths: [join(worktree, "a.txt")] })).rejects.toThrow(/not a directory/);
  });

  it("keeps a hidden file covered inside an exposed directory", async () => {
    const result = await run(`ls -A ${appDir}; cat ${envFile}`, { readOnlyPaths: [appDir] });
    expect(result.stdout).toContain(".env");
    expect(result.output).not.toContain("do-not-leak");
  });

  it.skipIf(process.getuid?.() !== 0)("works in a worktree owned by another user (safe.directory)", async () => {
    const other = await addWorktree("run-2");
    await chown(other.worktree, 12345, 12345);
    const outside = await git(other.worktree, "status", "--short").catch((error: unknown) => String(error));
    expect(outside).toMatch(/dubious ownership/);
    const result = await sandbox.run({
      command: "git status --short --branch",
      cwd: other.worktree,
      timeoutMs: 15_000,
      readOnlyPaths: [mirror],
      writablePaths: [other.gitDir],
    });
    expect(result.exitCode, result.output).toBe(0);
    expect(result.stdout).toContain("## planwright/run-2");
  });
});
