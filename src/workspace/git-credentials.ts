import type { GitConfigEntries } from "./git-runner.js";

/**
 * How an installation token reaches git: as an HTTP header in command-scope
 * configuration (`GIT_CONFIG_KEY_n` environment variables), so it is never in
 * a URL, on the argv (readable in /proc by other users) or in any config file.
 */
export function authorizationConfig(token: string): GitConfigEntries {
  return [
    // An empty value clears headers configured elsewhere (a persisted
    // actions/checkout header, say) so only this one is sent.
    ["http.extraHeader", ""],
    ["http.extraHeader", `Authorization: Basic ${basicCredentials(token)}`],
  ];
}

/** GitHub takes an installation token as the password of user `x-access-token`. */
export function basicCredentials(token: string): string {
  return Buffer.from(`x-access-token:${token}`).toString("base64");
}

/** Git's output with the token, its header form and any URL password taken out. */
export function redactCredentials(text: string, token?: string): string {
  let redacted = text;
  if (token) {
    redacted = redacted.split(basicCredentials(token)).join("[REDACTED]").split(token).join("[REDACTED]");
  }
  return redacted
    .replace(/(authorization:\s*\w+\s+)\S+/gi, "$1[REDACTED]")
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, "$1[REDACTED]@");
}

/** The clone URL as it may be stored or shown: without user and password. */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]+@/i, "$1");
}
