/**
 * REDIS_URL as it may be printed: the password (and a user name, which can be
 * a secret too on managed Redis) replaced, so logs and error messages never
 * carry the credential.
 */
export function redactRedisUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "(unparseable REDIS_URL)";
  }
  if (parsed.password) parsed.password = "***";
  if (parsed.username && parsed.username !== "default") parsed.username = "***";
  return parsed.toString();
}
