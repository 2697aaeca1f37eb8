import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs, parseEnv } from "node:util";
import { createRedactor } from "../security/redact-secrets.js";
import {
  checkAnthropicKey,
  checkAppId,
  checkBubblewrap,
  checkDataDir,
  checkEnvironment,
  checkGit,
  checkNode,
  checkPrivateKey,
  checkRedis,
  checkRipgrep,
  checkWebhookSecret,
  PROBOT_DEFAULT_SECRET,
} from "./doctor-checks.js";
import type { CheckLine, CheckMark } from "./doctor-checks.js";

/** The same shape as `CliIO` (run-command.ts), plus what tests pin down. */
export interface DoctorIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Defaults to the running Node's version. */
  nodeVersion?: string;
  /** Default 2000. */
  redisTimeoutMs?: number;
}

export const DOCTOR_USAGE = `Usage: planwright doctor

Checks this machine and environment before you run planwright on it: Node.js,
git, bubblewrap, ripgrep, the data directory, Redis (when REDIS_URL is set), the
GitHub App's credentials, the Anthropic API key, and every planwright setting.
Like \`npm start\`, it reads .env from the current directory first. Secret values
are never printed.

Exit status: 0 when nothing needs fixing (warnings allowed), 1 when something
does, 2 for a usage error.`;

const SYMBOLS: Record<CheckMark, string> = { ok: "✔", warn: "!", fail: "✖" };

/** `planwright doctor`: one line per check, ✔ fine, ! worth a look, ✖ must be fixed. */
export async function doctorCommand(argv: string[], io: DoctorIO): Promise<number> {
  let help: boolean | undefined;
  try {
    ({
      values: { help },
    } = parseArgs({ args: argv, options: { help: { type: "boolean", short: "h" } }, strict: true }));
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${DOCTOR_USAGE}\n`);
    return 2;
  }
  if (help) {
    io.stdout(`${DOCTOR_USAGE}\n`);
    return 0;
  }

  const dotEnv = await readDotEnv(io.cwd);
  // Probot applies .env over the process environment, so that is what `npm start` will see.
  const env: NodeJS.ProcessEnv = { ...io.env, ...dotEnv.values };
  const redact = createRedactor(secretValues(env));

  const lines: CheckLine[] = [
    ...(dotEnv.line ? [dotEnv.line] : []),
    checkNode(io.nodeVersion ?? process.versions.node),
    // The slow ones (bubblewrap's trial sandbox, Redis) run at the same time.
    ...(await Promise.all([
      checkGit(env),
      checkBubblewrap(env),
      checkRipgrep(env),
      checkDataDir(env, io.cwd),
      checkRedis(env, io.redisTimeoutMs ?? 2000),
    ])),
    checkAppId(env),
    await checkPrivateKey(env, io.cwd),
    checkWebhookSecret(env),
    checkAnthropicKey(env),
    ...checkEnvironment(env, io.cwd),
  ];

  // Every line is written to avoid secrets; redacting is the second guard, for the one that slips.
  for (const line of lines) io.stdout(`${SYMBOLS[line.mark]} ${redact(line.text)}\n`);
  const failures = lines.filter((l) => l.mark === "fail").length;
  const warnings = lines.filter((l) => l.mark === "warn").length;
  io.stdout(
    failures > 0
      ? `\n${plural(failures, "problem")} to fix (✖)${warnings ? `, ${plural(warnings, "warning")} (!)` : ""}.\n`
      : `\nReady${warnings ? `, with ${plural(warnings, "warning")} (!)` : ""}.\n`,
  );
  return failures > 0 ? 1 : 0;
}

async function readDotEnv(cwd: string): Promise<{ values: NodeJS.ProcessEnv; line?: CheckLine }> {
  const file = path.join(cwd, ".env");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { values: {} };
    return { values: {}, line: { mark: "fail", text: `.env: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "error"}) — fix its permissions` } };
  }
  const values = parseEnv(text);
  const count = Object.keys(values).length;
  return {
    values,
    line: { mark: "ok", text: `.env: read ${count} variable${count === 1 ? "" : "s"} from ${file} (they override the environment, as in \`npm start\`)` },
  };
}

/** Every value that must not be printed, including the passwords inside the Redis URLs. */
function secretValues(env: NodeJS.ProcessEnv): string[] {
  const values = [env.WEBHOOK_SECRET, env.PRIVATE_KEY, env.ANTHROPIC_API_KEY, env.PLANWRIGHT_METRICS_TOKEN];
  for (const url of [env.REDIS_URL, env.PLANWRIGHT_REDIS_URL]) {
    if (!url) continue;
    values.push(url);
    try {
      values.push(decodeURIComponent(new URL(url).password));
    } catch {
      // Not a URL: the environment check says so, and the whole value is redacted anyway.
    }
  }
  // Probot's public default is named in a warning; it is no secret.
  return values.filter((v): v is string => typeof v === "string" && v.trim() !== "" && v !== PROBOT_DEFAULT_SECRET);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
