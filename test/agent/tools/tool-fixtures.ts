import { execFile } from "node:child_process";
import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { promisify } from "node:util";
import type { ToolContext } from "../../../src/agent/tools/tool.js";
import { PlainSandbox } from "../../../src/sandbox/plain-sandbox.js";

const exec = promisify(execFile);

/** Commit identity for fixture repositories: tests never depend on the machine's git config. */
export const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: "Tool Tests",
  GIT_AUTHOR_EMAIL: "tools@example.com",
  GIT_COMMITTER_NAME: "Tool Tests",
  GIT_COMMITTER_EMAIL: "tools@example.com",
};

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec("git", args, { cwd, env: { ...process.env, ...GIT_IDENTITY } });
  return stdout;
}

/** Temporary directories (symlink-resolved), removed by `cleanup()`. */
export class Fixtures {
  private readonly dirs: string[] = [];
  private savedEnv: Record<string, string | undefined> | undefined;

  async dir(prefix = "pw-tools-", base = tmpdir()): Promise<string> {
    const dir = await realpath(await mkdtemp(path.join(base, prefix)));
    this.dirs.push(dir);
    return dir;
  }

  /**
   * Points HOME at an empty directory and switches off system git config, so
   * neither git nor ripgrep picks up the machine's global excludes: both then
   * see exactly the fixture's .gitignore files.
   */
  async isolateGitConfig(): Promise<void> {
    const home = await this.dir("pw-tools-home-");
    this.savedEnv = {
      HOME: process.env.HOME,
      XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME,
      GIT_CONFIG_NOSYSTEM: process.env.GIT_CONFIG_NOSYSTEM,
      GIT_CONFIG_GLOBAL: process.env.GIT_CONFIG_GLOBAL,
    };
    process.env.HOME = home;
    delete process.env.XDG_CONFIG_HOME;
    process.env.GIT_CONFIG_NOSYSTEM = "1";
    delete process.env.GIT_CONFIG_GLOBAL;
  }

  /** A git repository with `files` written; committed unless `commit: false`. */
  async repo(files: Record<string, string>, options: { commit?: boolean; base?: string } = {}): Promise<string> {
    const dir = await this.dir("pw-tools-repo-", options.base);
    await git(dir, "init", "-q", "-b", "main");
    await writeFiles(dir, files);
    if (options.commit !== false) {
      await git(dir, "add", "-A");
      await git(dir, "commit", "-q", "-m", "fixture");
    }
    return dir;
  }

  async cleanup(): Promise<void> {
    if (this.savedEnv) {
      for (const [name, value] of Object.entries(this.savedEnv)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      this.savedEnv = undefined;
    }
    await Promise.all(this.dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

export async function writeFiles(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), content);
  }
}

export function toolContext(worktree: string, overrides: Partial<ToolContext> = {}): ToolContext {
  return {
    worktree,
    sandbox: new PlainSandbox(),
    signal: new AbortController().signal,
    bashDefaultTimeoutMs: 30_000,
    bashMaxTimeoutMs: 60_000,
    ...overrides,
  };
}

/** Polls until `check` holds; false if it never did within `timeoutMs`. */
export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await delay(20);
  }
}
