import { createHash } from "node:crypto";
import { lstat, readFile, readlink } from "node:fs/promises";
import path from "node:path";
import { runGit } from "./git-runner.js";

/** Paths changed by the setup command, with a fingerprint of what each held right after it. */
export type SetupArtifacts = ReadonlyMap<string, string | null>;

/**
 * Records what the setup command changed (a lockfile `npm install` wrote, a
 * generated file), so only what the agent changed afterwards is committed.
 * `gitEnv` pins git to the worktree's real git directory (`Checkout.gitEnv`):
 * setup ran in the sandbox and could have rewritten the worktree's `.git`.
 */
export async function recordSetupArtifacts(worktree: string, gitEnv?: Record<string, string>): Promise<SetupArtifacts> {
  const paths = await changedPaths(worktree, gitEnv);
  return new Map(await Promise.all(paths.map(async (p) => [p, await fingerprintOf(worktree, p)] as const)));
}

/** Setup artifacts the agent left exactly as setup made them: these stay out of the commit. */
export async function untouchedArtifacts(worktree: string, artifacts: SetupArtifacts): Promise<string[]> {
  const untouched: string[] = [];
  for (const [file, fingerprint] of artifacts) {
    if ((await fingerprintOf(worktree, file)) === fingerprint) untouched.push(file);
  }
  return untouched;
}

async function changedPaths(worktree: string, gitEnv: Record<string, string> | undefined): Promise<string[]> {
  // runGit turns hooks and fsmonitor off; the pinned directory keeps a planted config (filters) out.
  const out = await runGit({ cwd: worktree, args: ["status", "--porcelain=v1", "-z", "--untracked-files=all"], ...(gitEnv ? { env: gitEnv } : {}) });
  const entries = out.split("\0").filter(Boolean);
  const paths: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    paths.push(entry.slice(3));
    // A rename is followed by its source path, which is not a separate change.
    if (entry[0] === "R" || entry[0] === "C") i++;
  }
  return paths;
}

/**
 * What a path holds, hashed here rather than by `git hash-object`, which
 * would apply clean filters named by the worktree's `.gitattributes`. Only
 * equality matters. A symlink is its target; a missing path is null.
 */
async function fingerprintOf(worktree: string, relative: string): Promise<string | null> {
  const full = path.join(worktree, relative);
  try {
    const stats = await lstat(full);
    const content = stats.isSymbolicLink() ? `link:${await readlink(full)}` : stats.isFile() ? await readFile(full) : `other:${stats.mode}`;
    return createHash("sha256").update(content).digest("hex");
  } catch {
    return null;
  }
}
