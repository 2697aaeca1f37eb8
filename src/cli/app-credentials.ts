import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { decodePrivateKey } from "./decode-private-key.js";

export type AppCredentials = { ok: true; appId: string; privateKey: string } | { ok: false; problems: string[] };

const KEY_FIX = "set PRIVATE_KEY to the .pem file's contents, or PRIVATE_KEY_PATH to its path";

/**
 * APP_ID and the GitHub App's private key, read the way `probot run` reads
 * them (PRIVATE_KEY, then PRIVATE_KEY_PATH, then the one .pem file in the
 * working directory), so a worker accepts exactly what the server accepts.
 * Every problem is reported at once.
 */
export async function readAppCredentials(env: NodeJS.ProcessEnv, cwd: string): Promise<AppCredentials> {
  const problems: string[] = [];
  const appId = env.APP_ID?.trim();
  if (!appId) problems.push("APP_ID: set it to the numeric App ID from the GitHub App's settings page");
  const key = await readPrivateKey(env, cwd);
  if (!key.ok) problems.push(key.problem);
  if (!appId || !key.ok) return { ok: false, problems };
  return { ok: true, appId, privateKey: key.pem };
}

async function readPrivateKey(env: NodeJS.ProcessEnv, cwd: string): Promise<{ ok: true; pem: string } | { ok: false; problem: string }> {
  const inline = env.PRIVATE_KEY?.trim();
  if (inline) return { ok: true, pem: decodePrivateKey(inline) };
  const file = env.PRIVATE_KEY_PATH?.trim();
  const pems = file ? [] : (await readdir(cwd).catch(() => [] as string[])).filter((name) => name.endsWith(".pem"));
  if (!file && pems.length > 1) return { ok: false, problem: `PRIVATE_KEY: not set, and ${cwd} holds several .pem files — ${KEY_FIX}` };
  const chosen = file ?? pems[0];
  if (!chosen) return { ok: false, problem: `PRIVATE_KEY: not set — ${KEY_FIX}` };
  try {
    return { ok: true, pem: await readFile(path.resolve(cwd, chosen), "utf8") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    return { ok: false, problem: `PRIVATE_KEY_PATH: cannot read ${chosen} (${code}) — ${KEY_FIX}` };
  }
}

