import { readdir } from "node:fs/promises";
import path from "node:path";

/**
 * What the agent's commands must never see of planwright's own: the data
 * directory (queue, transcripts, mirrors with tokens in flight), `.env`, and
 * the app's private key wherever Probot may take it from — PRIVATE_KEY_PATH,
 * or the one `*.pem` in the working directory, Probot's usual setup. All
 * `*.pem` files there are hidden, not just the chosen one: each of them may be
 * a key, and a bubblewrap sandbox otherwise shows the whole file system
 * read-only, so `cat ../*.pem` would hand out a key that mints tokens for
 * every installation.
 */
export async function appSecretPaths(options: { cwd: string; dataDir: string; env: NodeJS.ProcessEnv }): Promise<string[]> {
  const { cwd, dataDir, env } = options;
  const pems = (await readdir(cwd).catch(() => [] as string[])).filter((name) => name.endsWith(".pem")).map((name) => path.join(cwd, name));
  return [dataDir, path.join(cwd, ".env"), ...(env.PRIVATE_KEY_PATH ? [path.resolve(cwd, env.PRIVATE_KEY_PATH)] : []), ...pems];
}
