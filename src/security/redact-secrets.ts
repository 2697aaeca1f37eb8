/**
 * Removes secrets from text before it is posted to GitHub or written to a log
 * or transcript.
 *
 * Two layers: the exact values planwright knows are secret (its own keys and
 * the installation tokens it minted), and patterns for credentials it cannot
 * know in advance (a token the agent found in a repository, a key pasted into
 * an issue). Every pattern is written so a failed match gives up after a
 * bounded amount of work: this runs over whole transcripts, megabytes long,
 * and a backtracking blow-up would hang a worker.
 */

export type Redactor = (text: string) => string;

/** Known values shorter than this would redact ordinary words. */
export const MIN_KNOWN_SECRET_LENGTH = 8;

const marker = (kind: string): string => `[REDACTED:${kind}]`;

/**
 * GitHub token prefixes. The body has no fixed length: installation tokens
 * moved in 2026 from 36 random characters to `ghs_<app id>_<JWT>` (about 520
 * characters, with dots between the JWT's parts).
 */
const GITHUB_TOKEN = /(?<![A-Za-z0-9_])(?:gh[pousr]_|github_pat_)([A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]+)*)/g;
const ANTHROPIC_KEY = /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{20,}/g;
const AWS_ACCESS_KEY_ID = /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g;
/** `aws_secret_access_key = …`, `AWS_SECRET_ACCESS_KEY=…`, `"SecretAccessKey": "…"`, and session tokens. */
const AWS_SECRET_ASSIGNMENT =
  /(?<![A-Za-z0-9])((?:aws_?)?secret_?access_?key|aws_?session_?token)(["']?[ \t]*[:=][ \t]*["']?)(?!\[REDACTED:)([A-Za-z0-9/+=]{16,})/gi;
/** Only credential schemes, and only values long enough to be one: `Authorization: Bearer <token>` in docs stays. */
const AUTHORIZATION_HEADER =
  /(?<![A-Za-z0-9_-])((?:proxy-)?authorization["']?[ \t]*[:=][ \t]*["']?(?:bearer|token|basic|digest|bot)[ \t]+)(?!\[REDACTED:)[A-Za-z0-9._~+/-]{8,}=*/gi;
const BEARER_VALUE = /(?<![A-Za-z0-9_-])(bearer[ \t]+)(?!\[REDACTED:)[A-Za-z0-9._~+/-]{20,}=*/gi;
/**
 * `scheme://user:password@host` (any scheme: https, redis, postgres…), and a
 * long bare user name over http(s), which is how tokens are usually put in
 * clone URLs. `ssh://git@host` is left alone.
 */
const URL_WITH_PASSWORD = /\b([A-Za-z][A-Za-z0-9+.-]{0,30}:\/\/)[^\s/?#@:"'<>]*:[^\s/?#"'<>]*@/g;
const URL_WITH_TOKEN_USER = /\b(https?:\/\/)[^\s/?#@:"'<>[\]]{20,}@/gi;

const PEM_BEGIN = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----/g;
const PEM_END = /-----END [A-Z0-9 ]*-----/y;
/** One line of a PEM body: an encryption header or base64. */
const PEM_LINE = /(?:Proc-Type|DEK-Info):[^\n\\]*|[A-Za-z0-9+/=]+/y;
/** A line break, real or escaped inside a JSON string. */
const PEM_NEWLINE = /[ \t]*(?:\r?\n|\\r\\n|\\n)/y;
/** A cut-off last line counts as key material only if it is long enough not to be a word. */
const MIN_PARTIAL_PEM_LINE = 16;

/** Cheap pre-check: text with none of these cannot match any pattern below. */
const SECRET_HINT = /gh[pousr]_|github_pat_|sk-ant-|AKIA|ASIA|secret|session|-----BEGIN |:\/\/|authorization|bearer/i;

/** Redacts with patterns only. */
export const redactSecrets: Redactor = createRedactor([]);

/**
 * @param knownSecrets values that must never appear in output, e.g. the
 *   webhook secret, the app's private key, the Anthropic API key and the
 *   installation tokens currently in use. Values shorter than
 *   {@link MIN_KNOWN_SECRET_LENGTH} are ignored.
 */
export function createRedactor(knownSecrets: readonly string[]): Redactor {
  const known = knownSecretPattern(knownSecrets);
  return (text: string): string => {
    let out = known ? text.replace(known, marker("known-secret")) : text;
    if (!SECRET_HINT.test(out)) return out;
    out = redactPem(out);
    out = out.replace(GITHUB_TOKEN, (match: string, body: string) =>
      // A real token body always has a digit or capital; `ghs_installation_token_format` is prose.
      /[A-Z0-9]/.test(body) ? marker("github-token") : match,
    );
    out = out.replace(ANTHROPIC_KEY, marker("anthropic-key"));
    out = out.replace(AWS_ACCESS_KEY_ID, marker("aws-access-key-id"));
    out = out.replace(AWS_SECRET_ASSIGNMENT, (_match: string, name: string, separator: string) => `${name}${separator}${marker("aws-secret")}`);
    out = out.replace(URL_WITH_PASSWORD, "$1***@");
    out = out.replace(URL_WITH_TOKEN_USER, "$1***@");
    out = out.replace(AUTHORIZATION_HEADER, (_match: string, prefix: string) => `${prefix}${marker("authorization")}`);
    out = out.replace(BEARER_VALUE, (_match: string, prefix: string) => `${prefix}${marker("authorization")}`);
    return out;
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

/**
 * One alternation of every known value and the forms it takes when embedded:
 * URL-encoded (a password in a URL), JSON-escaped (a transcript), and, for
 * multi-line values like a PEM key, with any line ending (CRLF from a Windows
 * editor, LF, or `\n` escaped in JSON).
 */
function knownSecretPattern(secrets: readonly string[]): RegExp | null {
  const alternatives = new Set<string>();
  for (const secret of secrets) {
    const value = secret.trim();
    if (value.length < MIN_KNOWN_SECRET_LENGTH) continue;
    const forms = new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]);
    for (const form of forms) {
      const lines = form.split(/\r\n|\r|\n|\\r\\n|\\n/);
      alternatives.add(lines.map(escapeRegExp).join("(?:\\r\\n|\\r|\\n|\\\\r\\\\n|\\\\n)"));
    }
  }
  if (alternatives.size === 0) return null;
  // Longest first, so a value that contains another is redacted whole.
  const sorted = [...alternatives].sort((a, b) => b.length - a.length);
  return new RegExp(sorted.join("|"), "g");
}

/**
 * PEM private keys, found with indexOf rather than one `BEGIN[\s\S]*?END`
 * regex, which rescans to the end of the text for every unmatched BEGIN. A
 * key cut off before its END line (truncated output) is still a key: its
 * body lines are redacted too.
 */
function redactPem(text: string): string {
  if (!text.includes("-----BEGIN ")) return text;
  const nextEnd = pemEndFinder(text);
  let out = "";
  let index = 0;
  PEM_BEGIN.lastIndex = 0;
  for (let begin = PEM_BEGIN.exec(text); begin; begin = PEM_BEGIN.exec(text)) {
    out += text.slice(index, begin.index);
    const bodyStart = begin.index + begin[0].length;
    const nextBegin = text.indexOf("-----BEGIN ", bodyStart);
    const end = nextEnd(bodyStart);
    index = end && (nextBegin < 0 || end.index < nextBegin) ? end.index + end.length : endOfPemBody(text, bodyStart);
    out += marker("private-key");
    PEM_BEGIN.lastIndex = index;
  }
  return out + text.slice(index);
}

/**
 * Returns a lookup of the first END line at or after a position. Positions
 * only grow between calls, so the last answer is reused until it falls
 * behind, and no stretch of text is searched twice.
 */
function pemEndFinder(text: string): (from: number) => { index: number; length: number } | null {
  let cached: { index: number; length: number } | null | undefined;
  return (from) => {
    if (cached === null) return null;
    if (cached && cached.index >= from) return cached;
    for (let at = text.indexOf("-----END ", from); at >= 0; at = text.indexOf("-----END ", at + 1)) {
      PEM_END.lastIndex = at;
      const match = PEM_END.exec(text);
      if (match) return (cached = { index: at, length: match[0].length });
    }
    return (cached = null);
  };
}

/** Where the base64 lines after an unterminated BEGIN line stop. */
function endOfPemBody(text: string, from: number): number {
  let end = from;
  let at = from;
  let afterHeader = false;
  for (;;) {
    PEM_NEWLINE.lastIndex = at;
    if (!PEM_NEWLINE.exec(text)) return end;
    at = PEM_NEWLINE.lastIndex;
    PEM_LINE.lastIndex = at;
    const line = PEM_LINE.exec(text);
    if (!line) {
      // Encryption headers are followed by one blank line.
      if (!afterHeader) return end;
      afterHeader = false;
      continue;
    }
    afterHeader = !/^[A-Za-z0-9+/=]+$/.test(line[0]);
    const lineEnd = PEM_LINE.lastIndex;
    PEM_NEWLINE.lastIndex = lineEnd;
    const whole = lineEnd === text.length || PEM_NEWLINE.test(text);
    if (!whole) return line[0].length >= MIN_PARTIAL_PEM_LINE ? lineEnd : end;
    at = end = lineEnd;
  }
}

/** Object keys whose string values are credentials whatever they look like (headers in a logged request). */
const CREDENTIAL_KEYS = new Set([
  "authorization",
  "proxy-authorization",
  "x-api-key",
  "cookie",
  "set-cookie",
  "password",
  "client_secret",
  "webhook_secret",
  "private_key",
  "api_key",
  "access_token",
  "refresh_token",
]);

/**
 * Redacts every string inside a JSON-like value (objects, arrays, strings),
 * returning a copy with the same shape. Other values are returned as they
 * are; a value reached twice through a cycle is copied once.
 */
export function redactDeep<T>(value: T, redact: Redactor = redactSecrets): T {
  return deep(value, redact, new WeakMap(), undefined) as T;
}

function deep(value: unknown, redact: Redactor, seen: WeakMap<object, unknown>, key: string | undefined): unknown {
  if (typeof value === "string") {
    if (key !== undefined && CREDENTIAL_KEYS.has(key.toLowerCase()) && value.length > 0) return marker("credential-field");
    return redact(value);
  }
  if (typeof value !== "object" || value === null) return value;
  const existing = seen.get(value);
  if (existing !== undefined) return existing;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(deep(item, redact, seen, undefined));
    return copy;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  const copy: Record<string, unknown> = {};
  seen.set(value, copy);
  for (const [entryKey, entryValue] of Object.entries(value)) copy[entryKey] = deep(entryValue, redact, seen, entryKey);
  return copy;
}
