/**
 * The values of planwright's own secrets, for the redactor to find wherever
 * they appear verbatim (patterns catch tokens and keys by shape; a webhook
 * secret or a Redis password has none). Values shorter than 8 characters are
 * left out: redacting them would garble ordinary text.
 */
export function knownSecretsOf(env: NodeJS.ProcessEnv): string[] {
  return [
    env.WEBHOOK_SECRET,
    env.PRIVATE_KEY,
    env.ANTHROPIC_API_KEY,
    env.PLANWRIGHT_METRICS_TOKEN,
    passwordIn(env.REDIS_URL),
    passwordIn(env.PLANWRIGHT_REDIS_URL),
  ].filter((s): s is string => typeof s === "string" && s.length >= 8);
}

function passwordIn(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}
