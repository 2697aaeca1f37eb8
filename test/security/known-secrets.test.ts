import { describe, expect, it } from "vitest";
import { knownSecretsOf } from "../../src/security/known-secrets.js";
import { createRedactor } from "../../src/security/redact-secrets.js";

describe("knownSecretsOf", () => {
  it("collects planwright's own secret values, Redis passwords included, and skips short or absent ones", () => {
    const secrets = knownSecretsOf({
      WEBHOOK_SECRET: "hook-secret-value",
      ANTHROPIC_API_KEY: "sk-ant-abcdefgh",
      PLANWRIGHT_METRICS_TOKEN: "metrics-token-0123456789",
      REDIS_URL: "redis://:p%40ss-word-long@redis:6379",
      PLANWRIGHT_REDIS_URL: "redis://node-1:7000",
      PRIVATE_KEY: "short",
    });
    expect(secrets).toEqual(["hook-secret-value", "sk-ant-abcdefgh", "metrics-token-0123456789", "p@ss-word-long"]);
  });

  it("lets the redactor remove a Redis password that matches no secret pattern", () => {
    const redact = createRedactor(knownSecretsOf({ REDIS_URL: "redis://default:plain-words-here@redis:6379" }));
    expect(redact("connect failed with plain-words-here")).not.toContain("plain-words-here");
  });

  it("ignores a URL it cannot parse", () => {
    expect(knownSecretsOf({ REDIS_URL: "not a url" })).toEqual([]);
  });
});
