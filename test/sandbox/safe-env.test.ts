import { describe, expect, it } from "vitest";
import { DEFAULT_PATH, buildSafeEnv, isSecretName } from "../../src/sandbox/safe-env.js";

const PARENT: NodeJS.ProcessEnv = {
  PATH: "/usr/local/bin:/usr/bin:/bin",
  HOME: "/home/planwright",
  LANG: "en_GB.UTF-8",
  TZ: "Europe/Paris",
  JAVA_HOME: "/usr/lib/jvm/default",
  ANTHROPIC_API_KEY: "sk-ant-xyz",
  WEBHOOK_SECRET: "s3cret",
  PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----",
  PRIVATE_KEY_PATH: "/app/key.pem",
  GITHUB_TOKEN: "ghs_abc",
  GH_TOKEN: "ghp_abc",
  APP_ID: "12345",
  REDIS_URL: "redis://:pw@redis:6379",
  NODE_OPTIONS: "--require /tmp/x.js",
  npm_config__authToken: "npm_abc",
  AWS_SECRET_ACCESS_KEY: "aws",
  PLANWRIGHT_DATA_DIR: "/var/lib/planwright",
  USER: "planwright",
};

describe("buildSafeEnv", () => {
  it("keeps only the allow-list and sets the sandbox's own values", () => {
    expect(buildSafeEnv(PARENT, undefined, "/sandbox/home", "/sandbox/tmp")).toEqual({
      PATH: "/usr/local/bin:/usr/bin:/bin",
      HOME: "/sandbox/home",
      TMPDIR: "/sandbox/tmp",
      LANG: "en_GB.UTF-8",
      LC_ALL: "C.UTF-8",
      TERM: "dumb",
      CI: "true",
      TZ: "Europe/Paris",
      JAVA_HOME: "/usr/lib/jvm/default",
      GIT_TERMINAL_PROMPT: "0",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "safe.directory",
      GIT_CONFIG_VALUE_0: "*",
    });
  });

  it("adds safe.directory after the caller's own command-scope git configuration", () => {
    const env = buildSafeEnv(
      PARENT,
      { GIT_CONFIG_COUNT: "2", GIT_CONFIG_KEY_0: "core.autocrlf", GIT_CONFIG_VALUE_0: "false", GIT_CONFIG_KEY_1: "init.defaultBranch", GIT_CONFIG_VALUE_1: "main" },
      "/h",
    );
    expect(env).toMatchObject({
      GIT_CONFIG_COUNT: "3",
      GIT_CONFIG_KEY_0: "core.autocrlf",
      GIT_CONFIG_VALUE_0: "false",
      GIT_CONFIG_KEY_1: "init.defaultBranch",
      GIT_CONFIG_VALUE_1: "main",
      GIT_CONFIG_KEY_2: "safe.directory",
      GIT_CONFIG_VALUE_2: "*",
    });
    expect(() => buildSafeEnv(PARENT, { GIT_CONFIG_COUNT: "two" }, "/h")).toThrow(/GIT_CONFIG_COUNT must be a whole number/);
  });

  it("uses a default PATH and locale when the parent has none, and TMPDIR = HOME by default", () => {
    expect(buildSafeEnv({}, undefined, "/h")).toMatchObject({ PATH: DEFAULT_PATH, LANG: "C.UTF-8", TMPDIR: "/h" });
  });

  it("drops relative PATH entries, which would resolve inside the worktree", () => {
    expect(buildSafeEnv({ PATH: ".:/usr/bin::bin:/bin" }, undefined, "/h").PATH).toBe("/usr/bin:/bin");
    expect(buildSafeEnv({ PATH: "." }, undefined, "/h").PATH).toBe(DEFAULT_PATH);
  });

  it("adds the caller's variables, which may override CI or PATH", () => {
    const env = buildSafeEnv(PARENT, { NODE_ENV: "test", CI: "1", PATH: "/opt/bin:/usr/bin" }, "/h");
    expect(env).toMatchObject({ NODE_ENV: "test", CI: "1", PATH: "/opt/bin:/usr/bin" });
  });

  it.each(["ANTHROPIC_API_KEY", "GITHUB_TOKEN", "npm_token", "db_password", "SSH_KEY", "AWS_CREDENTIALS", "APP_ID", "REDIS_URL", "app_id"])(
    "throws when extra passes the secret-looking %s",
    (name) => {
      expect(() => buildSafeEnv(PARENT, { [name]: "x" }, "/h")).toThrow(new RegExp(`"${name}".*looks like a secret`));
    },
  );

  it.each(["HOME", "TMPDIR", "GIT_TERMINAL_PROMPT", "GIT_CONFIG_NOSYSTEM"])("throws when extra overrides %s", (name) => {
    expect(() => buildSafeEnv(PARENT, { [name]: "x" }, "/h")).toThrow(/set by the sandbox itself/);
  });

  it("throws for malformed names and values", () => {
    expect(() => buildSafeEnv(PARENT, { "A=B": "x" }, "/h")).toThrow(/not a valid variable name/);
    expect(() => buildSafeEnv(PARENT, { OK: "a\0b" }, "/h")).toThrow(/NUL/);
  });
});

describe("isSecretName", () => {
  it("flags secrets but not ordinary build variables", () => {
    expect(["GITHUB_TOKEN", "MY_SECRET", "api_key", "PRIVATE_KEY_PATH"].filter(isSecretName)).toHaveLength(4);
    expect(["NODE_ENV", "GIT_AUTHOR_NAME", "GOFLAGS", "PYTHONUNBUFFERED", "GIT_CONFIG_KEY_0"].filter(isSecretName)).toEqual([]);
  });
});
