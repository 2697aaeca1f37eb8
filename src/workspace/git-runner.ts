import { randomUUID } from "node:crypto";
import { simpleGit } from "simple-git";
import { killTaggedProcesses } from "./kill-tagged-processes.js";

/** Marks a command's whole process tree, so an abort can kill git's helpers too. */
const CALL_TAG = "PLANWRIGHT_GIT_CALL";

/**
 * Variables of the server's environment a git process may see. An allow-list,
 * not the whole environment: git reads dozens of `GIT_*` variables (and
 * EDITOR, PAGER, SSH_ASKPASS…) that would change what a command does, and the
 * server's own secrets have no business in a child process.
 */
const INHERITED = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "LANG",
  "LC_ALL",
  "LC_CTYPE",
  "TZ",
  "TMPDIR",
  "XDG_CONFIG_HOME",
  "SYSTEMROOT",
  // A GHES behind a proxy or with its own certificate authority needs these.
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "all_proxy",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "CURL_CA_BUNDLE",
  "GIT_SSL_CAINFO",
  "GIT_SSL_CAPATH",
];

/**
 * Configuration every command runs with, given on the command line scope so it
 * beats whatever a repository's config says. The mirror's config is shared
 * with the worktrees the agent works in (a `husky install` writes
 * `core.hooksPath` there), so planwright's own git commands ignore hooks and
 * fsmonitor programs, never sign, and never ask a credential helper.
 */
const BASE_CONFIG: GitConfigEntries = [
  ["core.hooksPath", "/dev/null"],
  ["core.fsmonitor", "false"],
  // An empty value empties the list of helpers configured anywhere else.
  ["credential.helper", ""],
  ["commit.gpgSign", "false"],
  ["tag.gpgSign", "false"],
  // Auto gc then runs inside the mirror lock instead of in a detached process.
  ["gc.autoDetach", "false"],
];

/** Ordered pairs, since a multi-valued key (`http.extraHeader`) may be reset and then set. */
export type GitConfigEntries = ReadonlyArray<readonly [key: string, value: string]>;

export interface GitCall {
  cwd: string;
  args: readonly string[];
  /** The git executable; default `git` from PATH. */
  binary?: string;
  signal?: AbortSignal;
  /** Extra environment (author identity…); never secrets other than through `config`. */
  env?: Record<string, string>;
  /** Extra configuration, passed through `GIT_CONFIG_KEY_n` so it never shows on the argv. */
  config?: GitConfigEntries;
  /** Written to git's stdin. */
  input?: string;
}

/**
 * Runs one git command and returns its stdout. Fails on any non-zero exit
 * (simple-git by default only fails when stderr is non-empty); when the signal
 * fires the process and its helpers are killed and the signal's reason is thrown.
 */
export async function runGit(call: GitCall): Promise<string> {
  call.signal?.throwIfAborted();
  const entries = [...BASE_CONFIG, ...(call.config ?? [])];
  const env: Record<string, string> = {};
  for (const name of INHERITED) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  // Never wait for a person: no terminal prompt, and an empty askpass stops git
  // from falling back to core.askPass or SSH_ASKPASS.
  env.GIT_TERMINAL_PROMPT = "0";
  env.GIT_ASKPASS = "";
  Object.assign(env, call.env);
  const callId = randomUUID();
  env[CALL_TAG] = callId;
  env.GIT_CONFIG_COUNT = String(entries.length);
  entries.forEach(([key, value], index) => {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });

  const git = simpleGit({
    baseDir: call.cwd,
    ...(call.binary ? { binary: call.binary } : {}),
    ...(call.signal ? { abort: call.signal } : {}),
    ...(call.input !== undefined ? { input: () => call.input } : {}),
    // simple-git refuses guarded variables it was not told about; every one
    // set here is planwright's own choice, so all are declared.
    allowEnvironment: Object.keys(env),
    unsafe: {
      allowUnsafeConfigEnvCount: true,
      allowUnsafeAskPass: true,
      allowUnsafeHooksPath: true,
      allowUnsafeFsMonitor: true,
      allowUnsafeCredentialHelper: true,
    },
    errors(error, result) {
      if (error) return error;
      if (result.exitCode !== 0) {
        const stderr = Buffer.concat(result.stdErr);
        return stderr.length > 0 ? stderr : Buffer.from(`git exited with code ${result.exitCode}`);
      }
      return undefined;
    },
  }).env(env);

  try {
    return await git.raw([...call.args]);
  } catch (error) {
    if (call.signal?.aborted) {
      await killTaggedProcesses(CALL_TAG, callId);
      throw call.signal.reason;
    }
    throw new GitCommandError(call.args, error);
  }
}

/** A git command that failed; `stderr` is git's own words (not yet redacted). */
export class GitCommandError extends Error {
  override name = "GitCommandError";
  readonly stderr: string;

  constructor(
    readonly args: readonly string[],
    cause: unknown,
  ) {
    const stderr = cause instanceof Error ? cause.message.trim() : String(cause);
    super(stderr, { cause });
    this.stderr = stderr;
  }
}
