/**
 * The environment a sandboxed command sees: an allow-list, never the parent's
 * environment minus a deny-list, so a secret added to planwright's environment
 * later cannot leak by default.
 */

/** Used when the parent has no PATH (a bare service manager, say). */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * Copied from the parent when set. Toolchain variables are limited to ones
 * that point at read-only installations, which tools cannot find on their own
 * once HOME moves (rustup's proxies need RUSTUP_HOME, for instance). Variables
 * naming writable caches (GOPATH, CARGO_HOME, npm_config_cache) are left out
 * on purpose: under bubblewrap they would point at read-only places, so tools
 * fall back to the private HOME instead. NODE_OPTIONS is left out because it
 * can load code into every node process (`--require`), and npm_config_* and
 * proxy URLs because they routinely carry credentials.
 */
const PASSED_THROUGH = [
  "TZ",
  "JAVA_HOME",
  "GOROOT",
  "RUSTUP_HOME",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "NODE_EXTRA_CA_CERTS",
];

/** planwright's own and its libraries' secrets, named explicitly because some (APP_ID, REDIS_URL) match no pattern. */
const FORBIDDEN_NAMES = new Set([
  "ANTHROPIC_API_KEY",
  "PRIVATE_KEY",
  "PRIVATE_KEY_PATH",
  "WEBHOOK_SECRET",
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "APP_ID",
  "REDIS_URL",
  "PLANWRIGHT_REDIS_URL",
]);
// Not AUTH: it would catch GIT_AUTHOR_NAME, which the pipeline legitimately passes.
const SECRET_PATTERN = /TOKEN|SECRET|KEY|PASSWORD|PASSWD|CREDENTIAL/i;

/** Set by planwright itself; a caller overriding them would undo the isolation. */
const RESERVED_NAMES = new Set(["HOME", "TMPDIR", "GIT_TERMINAL_PROMPT", "GIT_CONFIG_NOSYSTEM"]);

const VALID_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `GIT_CONFIG_KEY_<n>` names a configuration key, not a key: SECRET_PATTERN would catch it. */
const GIT_CONFIG_KEY = /^GIT_CONFIG_KEY_\d+$/;

/** True for a variable name that looks like it holds a secret. */
export function isSecretName(name: string): boolean {
  if (GIT_CONFIG_KEY.test(name)) return false;
  return FORBIDDEN_NAMES.has(name.toUpperCase()) || SECRET_PATTERN.test(name);
}

/**
 * Builds the environment for one command.
 *
 * @param parent planwright's own environment (usually `process.env`); only allow-listed names are read.
 * @param extra variables the caller adds (e.g. from a repository's config). A secret-looking or
 *   reserved name here is a programming error and throws.
 * @param home the command's private HOME.
 * @param tmpDir the command's TMPDIR (defaults to `home`).
 */
export function buildSafeEnv(
  parent: NodeJS.ProcessEnv,
  extra: Record<string, string> | undefined,
  home: string,
  tmpDir: string = home,
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: absolutePathEntries(parent.PATH) ?? DEFAULT_PATH,
    LANG: nonEmpty(parent.LANG) ?? "C.UTF-8",
    LC_ALL: nonEmpty(parent.LC_ALL) ?? "C.UTF-8",
    TERM: "dumb",
    CI: "true",
  };
  for (const name of PASSED_THROUGH) {
    const value = nonEmpty(parent[name]);
    if (value !== undefined) env[name] = value;
  }
  for (const [name, value] of Object.entries(extra ?? {})) {
    checkExtra(name, value);
    env[name] = value;
  }
  env.HOME = home;
  env.TMPDIR = tmpDir;
  // A clone or fetch that needs credentials must fail, not wait for a password nobody will type.
  env.GIT_TERMINAL_PROMPT = "0";
  // The host's /etc/gitconfig may hold credential helpers or URL rewrites meant for planwright itself.
  env.GIT_CONFIG_NOSYSTEM = "1";
  // git refuses a repository owned by another uid ("dubious ownership"), which
  // a worktree or mirror on a volume owned by someone else would be. Inside the
  // sandbox the check protects nothing: the command already controls the
  // worktree, and /tmp, where the attack it guards against lives, is private.
  appendGitConfig(env, "safe.directory", "*");
  return env;
}

/**
 * Adds one command-scope configuration entry after those the caller set
 * through `GIT_CONFIG_COUNT`, so neither replaces the other. (A command that
 * sets its own `GIT_CONFIG_COUNT` replaces the whole list, as git intends.)
 */
function appendGitConfig(env: Record<string, string>, key: string, value: string): void {
  const given = env.GIT_CONFIG_COUNT ?? "0";
  if (!/^\d{1,6}$/.test(given)) {
    throw new Error(`sandbox environment: GIT_CONFIG_COUNT must be a whole number, not "${given}"`);
  }
  const count = Number(given);
  env[`GIT_CONFIG_KEY_${count}`] = key;
  env[`GIT_CONFIG_VALUE_${count}`] = value;
  env.GIT_CONFIG_COUNT = String(count + 1);
}

function checkExtra(name: string, value: string): void {
  if (!VALID_NAME.test(name)) {
    throw new Error(`sandbox environment: "${name}" is not a valid variable name`);
  }
  if (isSecretName(name)) {
    throw new Error(
      `sandbox environment: refusing to pass "${name}" to a sandboxed command; it looks like a secret, ` +
        "and commands run by the agent must never see planwright's secrets",
    );
  }
  if (RESERVED_NAMES.has(name)) {
    throw new Error(`sandbox environment: "${name}" is set by the sandbox itself and cannot be overridden`);
  }
  if (value.includes("\0")) {
    throw new Error(`sandbox environment: the value of "${name}" contains a NUL byte`);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/**
 * Drops empty and relative PATH entries: they resolve against the worktree,
 * where a repository's file named `git` or `npm` would shadow the real one.
 */
function absolutePathEntries(path: string | undefined): string | undefined {
  const entries = (path ?? "").split(":").filter((entry) => entry.startsWith("/"));
  return entries.length > 0 ? entries.join(":") : undefined;
}
