import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadEnv } from "../../src/config/env.js";
import { ConfigurationError } from "../../src/errors.js";

describe("loadEnv", () => {
  it("fills defaults for an empty development environment", () => {
    const env = loadEnv({}, "/srv/app");
    expect(env).toMatchObject({
      production: false,
      githubApiUrl: "https://api.github.com",
      githubWebUrl: "https://github.com",
      dataDir: path.resolve("/srv/app", ".planwright"),
      concurrency: 2,
      sandbox: "auto",
      hasAnthropicKey: false,
      redisUrl: undefined,
    });
  });

  it("derives GitHub Enterprise Server URLs the way Probot does", () => {
    const env = loadEnv({ GHE_HOST: "ghe.example.com", GHE_PROTOCOL: "http" }, "/");
    expect(env.githubApiUrl).toBe("http://ghe.example.com/api/v3");
    expect(env.githubWebUrl).toBe("http://ghe.example.com");
    expect(loadEnv({ GHE_HOST: "ghe.example.com:8443" }, "/").githubApiUrl).toBe("https://ghe.example.com:8443/api/v3");
  });

  it("reads planwright's own settings", () => {
    const env = loadEnv(
      {
        PLANWRIGHT_CONCURRENCY: "5",
        PLANWRIGHT_DATA_DIR: "/var/lib/planwright",
        PLANWRIGHT_SANDBOX: "bwrap",
        PLANWRIGHT_MODEL: "claude-opus-5",
        ANTHROPIC_API_KEY: "sk-ant-x",
        REDIS_URL: "redis://127.0.0.1:6379",
      },
      "/",
    );
    expect(env).toMatchObject({
      concurrency: 5,
      dataDir: "/var/lib/planwright",
      sandbox: "bwrap",
      model: "claude-opus-5",
      hasAnthropicKey: true,
      redisUrl: "redis://127.0.0.1:6379",
    });
  });

  it("refuses production without a real webhook secret, naming the variable", () => {
    for (const secret of [undefined, "development"]) {
      const env: NodeJS.ProcessEnv = { NODE_ENV: "production", APP_ID: "1" };
      if (secret) env.WEBHOOK_SECRET = secret;
      expect(() => loadEnv(env, "/")).toThrow(/WEBHOOK_SECRET: set it to the webhook secret/);
    }
    expect(loadEnv({ NODE_ENV: "production", WEBHOOK_SECRET: "s3cret-value" }, "/").production).toBe(true);
  });

  it("reports every problem at once", () => {
    let caught: unknown;
    try {
      loadEnv(
        {
          NODE_ENV: "production",
          APP_ID: "abc",
          GHE_HOST: "https://ghe.example.com/",
          GHE_PROTOCOL: "ftp",
          PLANWRIGHT_CONCURRENCY: "many",
          PLANWRIGHT_SANDBOX: "docker",
          REDIS_URL: "localhost:6379",
          ANTHROPIC_BASE_URL: "not a url",
        },
        "/",
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigurationError);
    const problems = (caught as ConfigurationError).problems.join("\n");
    for (const name of [
      "APP_ID",
      "GHE_HOST",
      "GHE_PROTOCOL",
      "PLANWRIGHT_CONCURRENCY",
      "PLANWRIGHT_SANDBOX",
      "REDIS_URL",
      "ANTHROPIC_BASE_URL",
      "WEBHOOK_SECRET",
    ]) {
      expect(problems).toContain(name);
    }
    expect((caught as ConfigurationError).problems).toHaveLength(8);
  });
});
