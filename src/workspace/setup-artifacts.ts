import { simpleGit } from "simple-git";

/** Paths changed by the setup command, with the content each had right after it. */
export type SetupArtifacts = ReadonlyMap<string, string | null>;

/**
 * Records what the setup command changed (a lockfile `npm install` wrote, a
 * generated file), so only what the agent changed afterwards is committed.
 */
export async function recordSetupArtifacts(worktree: string): Promise<SetupArtifacts> {
  const paths = await changedPaths(worktree);
  return new Map(await Promise.all(paths.map(async (p) => [p, await blobOf(worktree, p)] as const)));
}

/** Setup artifacts the agent left exactly as setup made them: these stay out of the commit. */
export async function untouchedArtifacts(worktree: string, artifacts: SetupArtifacts): Promise<string[]> {
  const untouched: string[] = [];
  for (const [path, blob] of artifacts) {
    if ((await blobOf(worktree, path)) === blob) untouched.push(path);
  }
  return untouched;
}

async function changedPaths(worktree: string): Promise<string[]> {
  const out = await simpleGit(worktree).raw(["status", "--porcelain=v1", "-z", "--untracked-files=all"]);
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

async function blobOf(worktree: string, path: string): Promise<string | null> {
  try {
    return (await simpleGit(worktree).raw(["hash-object", "--", path])).trim();
  } catch {
    return null;
  }
}
