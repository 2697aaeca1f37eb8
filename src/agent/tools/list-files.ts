import { execFile } from "node:child_process";
import type { Dirent } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";

/** A walk stops here, so a runaway tree (or a bind-mounted disk) cannot stall a run. */
export const MAX_LISTED_FILES = 500_000;
const GIT_OUTPUT_LIMIT_BYTES = 512 * 1024 * 1024;
/** Directories a walk without git never enters: git's data, and dependencies nobody means to search. */
const SKIPPED_DIRECTORIES = new Set([".git", "node_modules"]);

export interface FileListing {
  /** Paths relative to the listed directory, `/`-separated. May include symlinks and deleted tracked files. */
  files: string[];
  /** `git`: tracked and untracked files that .gitignore does not exclude. */
  source: "git" | "walk";
  truncated: boolean;
}

/**
 * The files under `directory` that a person would call the project's:
 * `git ls-files --cached --others --exclude-standard` inside a git checkout
 * (which honours nested .gitignore files, .git/info/exclude and the global
 * excludes exactly as git does), otherwise a walk that skips `.git` and
 * `node_modules`. A directory that .gitignore excludes as a whole (asked for
 * by name, like `node_modules/some-lib`) is walked instead of coming back empty.
 */
export async function listFiles(directory: string, signal?: AbortSignal): Promise<FileListing> {
  const listed = await gitListFiles(directory, signal);
  if (listed !== undefined && (listed.length > 0 || !(await gitIgnores(directory, signal)))) {
    return { files: listed, source: "git", truncated: false };
  }
  const walked = await walk(directory, signal);
  return { files: walked.files, source: "walk", truncated: walked.truncated };
}

/** Environment for the git commands: none of the caller's repository-selecting variables. */
function gitEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_OPTIONAL_LOCKS: "0", GIT_TERMINAL_PROMPT: "0" };
  for (const name of ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_NAMESPACE", "GIT_PREFIX"]) {
    delete env[name];
  }
  return env;
}

/**
 * git runs here outside the sandbox, in a worktree the agent can write to.
 * core.fsmonitor is the one setting that makes `ls-files` run a program, so
 * it is forced off: a planted config must not run anything on the host.
 */
const GIT_SAFETY = ["-c", "core.fsmonitor=false"];

function runGit(directory: string, args: string[], signal?: AbortSignal): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      [...GIT_SAFETY, ...args],
      { cwd: directory, env: gitEnvironment(), maxBuffer: GIT_OUTPUT_LIMIT_BYTES, encoding: "utf8", ...(signal ? { signal } : {}) },
      (error, stdout) => {
        if (!error) return resolve({ code: 0, stdout });
        if (error.name === "AbortError") return reject(error);
        const code = typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout });
      },
    );
  });
}

async function gitListFiles(directory: string, signal?: AbortSignal): Promise<string[] | undefined> {
  const { code, stdout } = await runGit(directory, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], signal);
  if (code !== 0) return undefined;
  // Unmerged files are listed once per conflict stage.
  return [...new Set(stdout.split("\0").filter((file) => file !== ""))];
}

async function gitIgnores(directory: string, signal?: AbortSignal): Promise<boolean> {
  const { code } = await runGit(directory, ["check-ignore", "-q", "."], signal);
  return code === 0;
}

async function walk(root: string, signal?: AbortSignal): Promise<{ files: string[]; truncated: boolean }> {
  const files: string[] = [];
  const pending: string[] = [""];
  while (pending.length > 0) {
    signal?.throwIfAborted();
    const relative = pending.pop()!;
    let entries: Dirent[];
    try {
      entries = await readdir(path.join(root, relative), { withFileTypes: true });
    } catch {
      continue; // unreadable or vanished meanwhile: the rest is still worth listing
    }
    for (const entry of entries) {
      const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) pending.push(child);
      } else if (entry.isFile()) {
        files.push(child);
        if (files.length >= MAX_LISTED_FILES) return { files, truncated: true };
      }
    }
  }
  return { files, truncated: false };
}

/** True when `directory` is inside a git checkout (where .gitignore applies). */
export async function insideGitCheckout(directory: string, signal?: AbortSignal): Promise<boolean> {
  const { code, stdout } = await runGit(directory, ["rev-parse", "--is-inside-work-tree"], signal);
  return code === 0 && stdout.trim() === "true";
}
