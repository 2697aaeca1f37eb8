import { execFile } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { decodePrivateKey } from "./decode-private-key.js";
import { promisify } from "node:util";
import { findExecutable } from "../agent/tools/find-executable.js";
import { loadEnv } from "../config/env.js";
import { ConfigurationError } from "../errors.js";
import { pingRedis } from "../health/ping-redis.js";
import { probeWritableDir } from "../health/probe-writable-dir.js";
import { DEFAULT_BWRAP_PATH } from "../sandbox/bwrap-sandbox.js";
import { probeBwrap } from "../sandbox/probe-bwrap.js";
import { DOCKER_SANDBOX_OPTIONS } from "../sandbox/create-sandbox.js";
import { DEFAULT_PATH } from "../sandbox/safe-env.js";

export type CheckMark = "ok" | "warn" | "fail";

/**
 * One line of `planwright doctor`. `text` says what was found and, unless
 * the mark is ok, what to do; it never contains a secret's value.
 */
export interface CheckLine {
  mark: CheckMark;
  text: string;
}

const ok = (text: string): CheckLine => ({ mark: "ok", text });
const warn = (text: string): CheckLine => ({ mark: "warn", text });
const fail = (text: string): CheckLine => ({ mark: "fail", text });

/** Probot's fallback secret: public, so anyone could sign webhooks with it. */
export const PROBOT_DEFAULT_SECRET = "development";

export const NODE_RANGE = "^20.18.1 || >=22";

/** `^20.18.1 || >=22`, the range in package.json's engines, without a semver dependency. */
export function nodeVersionSupported(version: string): boolean {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (major >= 22) return true;
  return major === 20 && (minor > 18 || (minor === 18 && patch >= 1));
}

export function checkNode(version: string): CheckLine {
  return nodeVersionSupported(version)
    ? ok(`Node.js ${version}`)
    : fail(`Node.js ${version} is not supported (planwright needs ${NODE_RANGE}) — install Node.js 22 LTS, or 20.18.1 or later`);
}

const execFileAsync = promisify(execFile);

async function firstLineOf(executable: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync(executable, args, { timeout: 5000 });
    return stdout.split("\n")[0]?.trim() || undefined;
  } catch {
    return undefined;
  }
}

const searchPath = (env: NodeJS.ProcessEnv) => env.PATH ?? DEFAULT_PATH;

export async function checkGit(env: NodeJS.ProcessEnv): Promise<CheckLine> {
  const git = await findExecutable("git", searchPath(env));
  if (!git) return fail("git: not found on PATH — install git (Debian/Ubuntu: apt-get install git); every run clones and pushes with it");
  const version = await firstLineOf(git, ["--version"]);
  if (!version) return fail(`git: ${git} does not run (git --version failed) — reinstall git`);
  return ok(`${version} (${git})`);
}

export async function checkBubblewrap(env: NodeJS.ProcessEnv): Promise<CheckLine> {
  const mode = env.PLANWRIGHT_SANDBOX?.trim() || "auto";
  const bwrap = await findExecutable(DEFAULT_BWRAP_PATH, searchPath(env));
  // `bwrap` mode refuses to start without it; `auto` runs commands unisolated with a warning.
  const problem = mode === "bwrap" ? fail : warn;
  if (!bwrap) {
    if (mode === "none") return warn("bubblewrap: not installed, and PLANWRIGHT_SANDBOX=none runs the agent's commands without isolation anyway");
    return problem(
      "bubblewrap: not found on PATH, so the agent's commands would not be isolated — install it " +
        "(Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap; Alpine: apk add bubblewrap)",
    );
  }
  // Finding the binary is not enough: containers often forbid the namespaces it needs.
  const probe = await probeBwrap(DEFAULT_BWRAP_PATH, env);
  if (probe.usable) {
    if (mode === "none") return warn(`bubblewrap works (${bwrap}), but PLANWRIGHT_SANDBOX=none turns isolation off — set it to auto`);
    return ok(`bubblewrap works (${bwrap}): the agent's commands run isolated`);
  }
  if (mode === "none") return warn(`bubblewrap cannot start a sandbox here, and PLANWRIGHT_SANDBOX=none does not use it: ${probe.reason}`);
  return problem(
    `bubblewrap is installed but cannot start a sandbox: ${probe.reason} — allow unprivileged user namespaces ` +
      `(Ubuntu 24.04+: sysctl kernel.apparmor_restrict_unprivileged_userns=0), and in Docker run with ${DOCKER_SANDBOX_OPTIONS}`,
  );
}

export async function checkRipgrep(env: NodeJS.ProcessEnv): Promise<CheckLine> {
  const rg = await findExecutable("rg", searchPath(env));
  const version = rg ? await firstLineOf(rg, ["--version"]) : undefined;
  if (!rg || !version) {
    return warn("ripgrep: not found on PATH — the Grep tool falls back to a slower built-in search; install it (apt-get install ripgrep)");
  }
  return ok(`${version} (${rg})`);
}

export function dataDirOf(env: NodeJS.ProcessEnv, cwd: string): string {
  return path.resolve(cwd, env.PLANWRIGHT_DATA_DIR?.trim() || ".planwright");
}

export async function checkDataDir(env: NodeJS.ProcessEnv, cwd: string): Promise<CheckLine> {
  const dir = dataDirOf(env, cwd);
  const probe = await probeWritableDir(dir);
  if (probe.writable) return ok(`data directory ${dir} is writable${probe.created ? " (created it)" : ""}`);
  return fail(
    `data directory ${dir} is not writable (${probe.code}) — set PLANWRIGHT_DATA_DIR to a directory this user can ` +
      "write (in Docker, a volume the node user owns), or fix its permissions",
  );
}

export async function checkRedis(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<CheckLine> {
  // The queue's own variable wins, as in loadEnv.
  const name = env.PLANWRIGHT_REDIS_URL?.trim() ? "PLANWRIGHT_REDIS_URL" : "REDIS_URL";
  const url = env[name]?.trim();
  if (!url) return ok("Redis: neither PLANWRIGHT_REDIS_URL nor REDIS_URL is set, so the embedded SQLite queue is used (one machine)");
  const result = await pingRedis(url, { timeoutMs });
  if (result.ok) return ok(`Redis (${name}) at ${result.address} answers PING (database ${result.db})`);
  return fail(`Redis: ${result.problem} — ${result.fix}`);
}

export function checkAppId(env: NodeJS.ProcessEnv): CheckLine {
  const appId = env.APP_ID?.trim();
  if (!appId) {
    return fail(
      "APP_ID: not set — run `npm start` once to register the GitHub App (it writes APP_ID to .env), " +
        "or copy the App ID from the app's settings page",
    );
  }
  if (!/^\d+$/.test(appId)) return fail("APP_ID: not a number — copy the numeric App ID from the GitHub App's settings page (not the client ID)");
  return ok(`APP_ID ${appId}`);
}

/** Where Probot would read the private key from, in its order of preference. */
async function privateKeySource(env: NodeJS.ProcessEnv, cwd: string): Promise<{ name: string; pem: string } | CheckLine> {
  const fix = "set PRIVATE_KEY to the .pem file's contents, or PRIVATE_KEY_PATH to its path";
  if (env.PRIVATE_KEY?.trim()) return { name: "PRIVATE_KEY", pem: decodePrivateKey(env.PRIVATE_KEY.trim()) };
  const readKey = async (name: string, file: string): Promise<{ name: string; pem: string } | CheckLine> => {
    try {
      return { name, pem: await readFile(path.resolve(cwd, file), "utf8") };
    } catch (error) {
      return fail(`private key: cannot read ${name} (${(error as NodeJS.ErrnoException).code ?? "error"}) — ${fix}`);
    }
  };
  if (env.PRIVATE_KEY_PATH?.trim()) return readKey(`PRIVATE_KEY_PATH (${env.PRIVATE_KEY_PATH.trim()})`, env.PRIVATE_KEY_PATH.trim());
  // Probot's last resort: the one .pem file in the working directory.
  const pems = (await readdir(cwd).catch(() => [] as string[])).filter((name) => name.endsWith(".pem"));
  if (pems.length === 1) return readKey(pems[0]!, pems[0]!);
  if (pems.length > 1) return fail(`private key: several .pem files in ${cwd} and no PRIVATE_KEY or PRIVATE_KEY_PATH — ${fix}`);
  return fail(`private key: not set — ${fix} (GitHub App settings → Private keys → Generate)`);
}


export async function checkPrivateKey(env: NodeJS.ProcessEnv, cwd: string): Promise<CheckLine> {
  const source = await privateKeySource(env, cwd);
  if ("mark" in source) return source;
  const also = source.name === "PRIVATE_KEY" && env.PRIVATE_KEY_PATH?.trim() ? " (PRIVATE_KEY_PATH is ignored while PRIVATE_KEY is set)" : "";
  try {
    // The parser's error text is left out: it is about bytes of the key.
    const key = createPrivateKey({ key: source.pem, format: "pem" });
    if (key.asymmetricKeyType !== "rsa") {
      return fail(
        `private key from ${source.name} is not an RSA key (it is ${key.asymmetricKeyType ?? "unknown"}) — ` +
          "GitHub App keys are RSA; generate one on the app's settings page",
      );
    }
    const bits = key.asymmetricKeyDetails?.modulusLength;
    return ok(`private key from ${source.name} is an RSA key${bits ? ` (${bits} bits)` : ""}${also}`);
  } catch {
    return fail(
      `private key from ${source.name} does not parse as a PEM private key — use the whole .pem file GitHub generated, ` +
        "including the -----BEGIN/END----- lines (in .env, write it on one line with \\n for line breaks)",
    );
  }
}

export function checkWebhookSecret(env: NodeJS.ProcessEnv): CheckLine {
  const secret = env.WEBHOOK_SECRET;
  const production = env.NODE_ENV === "production";
  if (!secret || secret === PROBOT_DEFAULT_SECRET) {
    const what = secret ? `WEBHOOK_SECRET is Probot's default "${PROBOT_DEFAULT_SECRET}"` : "WEBHOOK_SECRET: not set";
    const fix = "set it to the webhook secret from the GitHub App's settings";
    return production
      ? fail(`${what}, and planwright refuses to start that way in production (anyone could forge webhooks) — ${fix}`)
      : warn(`${what}: fine for local development, but anyone could forge webhooks — ${fix} before going live`);
  }
  return ok("WEBHOOK_SECRET is set");
}

export function checkAnthropicKey(env: NodeJS.ProcessEnv): CheckLine {
  if (env.ANTHROPIC_API_KEY?.trim()) return ok("ANTHROPIC_API_KEY is set");
  const fix = "set ANTHROPIC_API_KEY to a key from console.anthropic.com";
  // A webhook-only server never calls the model; its workers do.
  if (env.PLANWRIGHT_CONCURRENCY?.trim() === "0") return warn(`ANTHROPIC_API_KEY: not set — a webhook-only server does not need it, but workers do: ${fix}`);
  return fail(`ANTHROPIC_API_KEY: not set, so every job fails — ${fix}`);
}

/** Checked by their own lines above; repeating them here would count one problem twice. */
const COVERED_ELSEWHERE = ["APP_ID", "WEBHOOK_SECRET"];

export function checkEnvironment(env: NodeJS.ProcessEnv, cwd: string): CheckLine[] {
  try {
    loadEnv(env, cwd);
    return [ok("environment: planwright's settings are valid")];
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    const rest = error.problems.filter((problem) => !COVERED_ELSEWHERE.some((name) => problem.startsWith(name)));
    if (rest.length === 0) return [ok("environment: planwright's other settings are valid")];
    return rest.map((problem) => fail(`environment: ${problem}`));
  }
}
