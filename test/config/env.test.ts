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

  it("reads PLANWRIGHT_METRICS_TOKEN, leaving /metrics open when it is unset or blank", () => {
    expect(loadEnv({}, "/").metricsToken).toBeUndefined();
    expect(loadEnv({ PLANWRIGHT_METRICS_TOKEN: "  " }, "/").metricsToken).toBeUndefined();
    expect(loadEnv({ PLANWRIGHT_METRICS_TOKEN: "0123456789abcdef" }, "/").metricsToken).toBe("0123456789abcdef");
    // A header value arrives trimmed, so the configured token is too.
    expect(loadEnv({ PLANWRIGHT_METRICS_TOKEN: " 0123456789abcdef-more\n" }, "/").metricsToken).toBe("0123456789abcdef-more");
  });

  it("refuses a PLANWRIGHT_METRICS_TOKEN shorter than 16 characters without echoing it", () => {
    let caught: unknown;
    try {
      loadEnv({ PLANWRIGHT_METRICS_TOKEN: "hunter2-short" }, "/");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigurationError);
    const { problems, message } = caught as ConfigurationError;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^PLANWRIGHT_METRICS_TOKEN must be at least 16 characters \(it has 13\)/);
    expect(message).not.toContain("hunter2-short");
  });

  it("refuses a PLANWRIGHT_METRICS_TOKEN that cannot travel in an HTTP header", () => {
    for (const token of ["0123456789 abcdef", "0123456789abcdéf"]) {
      expect(() => loadEnv({ PLANWRIGHT_METRICS_TOKEN: token }, "/"), token).toThrow(/PLANWRIGHT_METRICS_TOKEN must be printable ASCII with no spaces/);
    }
  });

  it("serves a worker's /healthz, /readyz and /metrics on port 3001 unless PLANWRIGHT_WORKER_PORT says otherwise; 0 serves none", () => {
    expect(loadEnv({}, "/").workerPort).toBe(3001);
    expect(loadEnv({ PLANWRIGHT_WORKER_PORT: " " }, "/").workerPort).toBe(3001);
    expect(loadEnv({ PLANWRIGHT_WORKER_PORT: "9464" }, "/").workerPort).toBe(9464);
    expect(loadEnv({ PLANWRIGHT_WORKER_PORT: " 8080\n" }, "/").workerPort).toBe(8080);
    expect(loadEnv({ PLANWRIGHT_WORKER_PORT: "65535" }, "/").workerPort).toBe(65535);
    expect(loadEnv({ PLANWRIGHT_WORKER_PORT: "0" }, "/").workerPort).toBe(0);
  });

  it("refuses a PLANWRIGHT_WORKER_PORT that is not a whole number from 0 to 65535, saying what 0 means", () => {
    for (const value of ["65536", "-1", "3001.5", "3e3", "0x10", "http", ":3001", "3001 3002"]) {
      let caught: unknown;
      try {
        loadEnv({ PLANWRIGHT_WORKER_PORT: value }, "/");
      } catch (error) {
        caught = error;
      }
      expect(caught, value).toBeInstanceOf(ConfigurationError);
      expect((caught as ConfigurationError).problems, value).toEqual([
        `PLANWRIGHT_WORKER_PORT must be a whole number from 0 to 65535 (got "${value}"): the port a planwright worker ` +
          "serves /healthz, /readyz and /metrics on, or 0 to serve none",
      ]);
    }
  });

  it("keeps finished jobs 30 days unless PLANWRIGHT_JOB_RETENTION_DAYS says otherwise; 0 keeps them forever", () => {
    const day = 24 * 60 * 60 * 1000;
    expect(loadEnv({}, "/").jobRetentionMs).toBe(30 * day);
    expect(loadEnv({ PLANWRIGHT_JOB_RETENTION_DAYS: "3" }, "/").jobRetentionMs).toBe(3 * day);
    expect(loadEnv({ PLANWRIGHT_JOB_RETENTION_DAYS: "0" }, "/").jobRetentionMs).toBe(0);
  });

  it("waits 15 s before retrying a job whose worker vanished unless PLANWRIGHT_RETRY_DELAY_SECONDS says otherwise", () => {
    expect(loadEnv({}, "/").retryDelayMs).toBe(15_000);
    expect(loadEnv({ PLANWRIGHT_RETRY_DELAY_SECONDS: "0" }, "/").retryDelayMs).toBe(0);
    expect(loadEnv({ PLANWRIGHT_RETRY_DELAY_SECONDS: "120" }, "/").retryDelayMs).toBe(120_000);
    expect(() => loadEnv({ PLANWRIGHT_RETRY_DELAY_SECONDS: "601" }, "/")).toThrow(ConfigurationError);
  });

  it("refuses a retention shorter than GitHub's 3-day redelivery window, saying why", () => {
    for (const value of ["2", "1.5", "-1", "ten", "4000"]) {
      expect(() => loadEnv({ PLANWRIGHT_JOB_RETENTION_DAYS: value }, "/")).toThrow(ConfigurationError);
    }
    try {
      loadEnv({ PLANWRIGHT_JOB_RETENTION_DAYS: "2" }, "/");
    } catch (error) {
      expect((error as ConfigurationError).problems.join("\n")).toContain("redelivers webhooks up to 3 days old");
    }
  });

  it("takes the queue's Redis from PLANWRIGHT_REDIS_URL first, then REDIS_URL", () => {
    expect(loadEnv({ REDIS_URL: "redis://a:6379" }, "/")).toMatchObject({ redisUrl: "redis://a:6379", redisCluster: false });
    expect(loadEnv({ REDIS_URL: "redis://a:6379", PLANWRIGHT_REDIS_URL: "redis://b:6379" }, "/").redisUrl).toBe("redis://b:6379");
    expect(loadEnv({ PLANWRIGHT_REDIS_URL: "rediss://b:6380", REDIS_CLUSTER: "true" }, "/").redisCluster).toBe(true);
  });

  it("reads PLANWRIGHT_REDIS_PREFIX, refusing names that would break the key layout", () => {
    expect(loadEnv({}, "/").redisPrefix).toBeUndefined();
    expect(loadEnv({ PLANWRIGHT_REDIS_PREFIX: "planwright-staging" }, "/").redisPrefix).toBe("planwright-staging");
    expect(loadEnv({ PLANWRIGHT_REDIS_PREFIX: "  " }, "/").redisPrefix).toBeUndefined();
    for (const bad of ["a{b}", "has space", "glob*"]) {
      expect(() => loadEnv({ PLANWRIGHT_REDIS_PREFIX: bad }, "/"), bad).toThrow(ConfigurationError);
    }
  });

  it("refuses REDIS_CLUSTER unless the cluster is in PLANWRIGHT_REDIS_URL, since Probot's rate limiter takes REDIS_URL", () => {
    const problems = (env: NodeJS.ProcessEnv): string => {
      try {
        loadEnv(env, "/");
        return "";
      } catch (error) {
        return (error as ConfigurationError).problems.join("\n");
      }
    };
    expect(problems({ REDIS_URL: "redis://node-1:6379", REDIS_CLUSTER: "1" })).toContain("rate limiter, which cannot run on a Redis Cluster");
    expect(problems({ REDIS_CLUSTER: "yes" })).toContain("PLANWRIGHT_REDIS_URL is not set");
    expect(problems({ PLANWRIGHT_REDIS_URL: "redis://node-1:6379", REDIS_CLUSTER: "maybe" })).toContain("REDIS_CLUSTER must be true or false");
    expect(problems({ PLANWRIGHT_REDIS_URL: "http://node-1" })).toContain("PLANWRIGHT_REDIS_URL must start with redis://");
  });

  it("refuses production without a real webhook secret, naming the variable", () => {
    for (const secret of [undefined, "development"]) {
      const env: NodeJS.ProcessEnv = { NODE_ENV: "production", APP_ID: "1" };
      if (secret) env.WEBHOOK_SECRET = secret;
      expect(() => loadEnv(env, "/")).toThrow(/WEBHOOK_SECRET: set it to the webhook secret/);
    }
    expect(loadEnv({ NODE_ENV: "production", WEBHOOK_SECRET: "s3cret-value" }, "/").production).toBe(true);
  });

  it("takes a lease of at least 2 seconds", () => {
    for (const value of ["0", "1"]) expect(() => loadEnv({ PLANWRIGHT_LEASE_SECONDS: value }, "/")).toThrow(/PLANWRIGHT_LEASE_SECONDS must be a whole number of seconds from 2 to 3600/);
    expect(loadEnv({ PLANWRIGHT_LEASE_SECONDS: "2" }, "/").leaseMs).toBe(2000);
  });

  it("lets processes that take no webhooks (workers, the jobs command) run in production without a secret", () => {
    expect(loadEnv({ NODE_ENV: "production", APP_ID: "1" }, "/", { receivesWebhooks: false }).production).toBe(true);
    // Everything else is still checked.
    expect(() => loadEnv({ NODE_ENV: "production", PLANWRIGHT_CONCURRENCY: "x" }, "/", { receivesWebhooks: false })).toThrow(/PLANWRIGHT_CONCURRENCY/);
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
          PLANWRIGHT_METRICS_TOKEN: "too-short",
          PLANWRIGHT_WORKER_PORT: "70000",
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
      "PLANWRIGHT_METRICS_TOKEN",
      "PLANWRIGHT_WORKER_PORT",
    ]) {
      expect(problems).toContain(name);
    }
    expect((caught as ConfigurationError).problems).toHaveLength(10);
  });
});
