import { generateKeyPairSync } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { nodeVersionSupported } from "../../src/cli/doctor-checks.js";
import { doctorCommand } from "../../src/cli/doctor-command.js";
import type { DoctorIO } from "../../src/cli/doctor-command.js";
import { freePort } from "../helpers/free-port.js";

const rsaPkcs1 = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
}).privateKey;
const rsaPkcs8 = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
}).privateKey;

const WEBHOOK_SECRET = "whsec-Zq8pL2vXk9Tn4RbY";
const ANTHROPIC_KEY = "sk-ant-api03-doctorTESTkey0123456789abcdef";
const REDIS_PASSWORD = "redis-pw-Hx7Qm3Kc9";

const cleanup: string[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const dir of cleanup.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pw-doctor-"));
  cleanup.push(dir);
  return dir;
}

/** A complete, valid production environment; tests break one thing at a time. */
async function goodEnv(): Promise<{ env: NodeJS.ProcessEnv; cwd: string }> {
  const cwd = await tempDir();
  return {
    cwd,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "production",
      APP_ID: "123456",
      PRIVATE_KEY: rsaPkcs8,
      WEBHOOK_SECRET,
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      PLANWRIGHT_DATA_DIR: path.join(cwd, "data"),
      PLANWRIGHT_SANDBOX: "auto",
    },
  };
}

async function doctor(env: NodeJS.ProcessEnv, cwd: string, extra: Partial<DoctorIO> = {}, argv: string[] = []) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await doctorCommand(argv, { stdout: (t) => out.push(t), stderr: (t) => err.push(t), env, cwd, ...extra });
  const text = out.join("");
  return { code, text, err: err.join(""), line: (pattern: RegExp) => text.split("\n").find((l) => pattern.test(l)) };
}

/** Base64 lines of the key body: no fragment of the key may be printed. */
function keyFragments(pem: string): string[] {
  return pem.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"));
}

function expectNoSecrets(text: string, ...extra: string[]): void {
  for (const secret of [WEBHOOK_SECRET, ANTHROPIC_KEY, REDIS_PASSWORD, ...extra]) {
    expect(text).not.toContain(secret);
    // Not even a recognisable part of it.
    expect(text).not.toContain(secret.slice(0, 10));
    expect(text).not.toContain(secret.slice(-8));
  }
  for (const fragment of [...keyFragments(rsaPkcs1), ...keyFragments(rsaPkcs8)]) expect(text).not.toContain(fragment.slice(0, 16));
}

interface FakeRedis {
  url: string;
  port: number;
  commands: string[][];
}

/** Just enough Redis: parses RESP arrays and answers with `reply(command)`. */
async function fakeRedis(reply: (command: string[]) => string): Promise<FakeRedis> {
  const commands: string[][] = [];
  const server = net.createServer((socket) => {
    let buffer = "";
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      for (;;) {
        const parsed = parseCommand(buffer);
        if (!parsed) break;
        buffer = buffer.slice(parsed.length);
        commands.push(parsed.command);
        socket.write(reply(parsed.command));
      }
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `redis://127.0.0.1:${port}`, port, commands };
}

function parseCommand(buffer: string): { command: string[]; length: number } | undefined {
  const header = /^\*(\d+)\r\n/.exec(buffer);
  if (!header) return undefined;
  let offset = header[0].length;
  const command: string[] = [];
  for (let i = 0; i < Number(header[1]); i++) {
    const bulk = /^\$(\d+)\r\n/.exec(buffer.slice(offset));
    if (!bulk) return undefined;
    offset += bulk[0].length;
    const size = Number(bulk[1]);
    if (buffer.length < offset + size + 2) return undefined;
    command.push(buffer.slice(offset, offset + size));
    offset += size + 2;
  }
  return { command, length: offset };
}

describe("planwright doctor", () => {
  it("passes a complete environment with ✔ lines and never prints a secret", async () => {
    const { env, cwd } = await goodEnv();
    const result = await doctor(env, cwd);
    expect(result.code).toBe(0);
    expect(result.text).not.toContain("✖");
    expect(result.line(/Node\.js/)).toBe(`✔ Node.js ${process.versions.node}`);
    expect(result.line(/git version/)).toMatch(/^✔ git version \d+\.\d+/);
    expect(result.line(/data directory/)).toMatch(/^✔ data directory .*data is writable \(created it\)/);
    expect(result.line(/^. APP_ID/)).toBe("✔ APP_ID 123456");
    expect(result.line(/private key/)).toBe("✔ private key from PRIVATE_KEY is an RSA key (2048 bits)");
    expect(result.line(/WEBHOOK_SECRET/)).toBe("✔ WEBHOOK_SECRET is set");
    expect(result.line(/ANTHROPIC_API_KEY/)).toBe("✔ ANTHROPIC_API_KEY is set");
    expect(result.line(/^. Redis/)).toMatch(/^✔ Redis: neither PLANWRIGHT_REDIS_URL nor REDIS_URL is set/);
    expect(result.line(/environment/)).toBe("✔ environment: planwright's settings are valid");
    // Depends on the host (installed, namespaces allowed); either way it is a line, never silence.
    expect(result.line(/bubblewrap/)).toMatch(/^[✔!] bubblewrap/);
    expect(result.line(/ripgrep/)).toMatch(/^[✔!] ripgrep/);
    expect(result.text).toMatch(/\nReady/);
    expectNoSecrets(result.text);
  });

  it("accepts the forms of PRIVATE_KEY Probot accepts: one line with \\n escapes, and base64", async () => {
    const { env, cwd } = await goodEnv();
    const escaped = await doctor({ ...env, PRIVATE_KEY: rsaPkcs1.trim().replace(/\n/g, "\\n") }, cwd);
    expect(escaped.line(/private key/)).toBe("✔ private key from PRIVATE_KEY is an RSA key (2048 bits)");
    const base64 = await doctor({ ...env, PRIVATE_KEY: Buffer.from(rsaPkcs1).toString("base64") }, cwd);
    expect(base64.line(/private key/)).toBe("✔ private key from PRIVATE_KEY is an RSA key (2048 bits)");
    expectNoSecrets(escaped.text + base64.text, Buffer.from(rsaPkcs1).toString("base64").slice(40, 80));
  });

  it("reads the key from PRIVATE_KEY_PATH", async () => {
    const { env, cwd } = await goodEnv();
    await writeFile(path.join(cwd, "app.private-key.pem"), rsaPkcs1);
    const { PRIVATE_KEY: _unused, ...withoutKey } = env;
    const result = await doctor({ ...withoutKey, PRIVATE_KEY_PATH: "app.private-key.pem" }, cwd);
    expect(result.code).toBe(0);
    expect(result.line(/private key/)).toBe("✔ private key from PRIVATE_KEY_PATH (app.private-key.pem) is an RSA key (2048 bits)");
    expectNoSecrets(result.text);
  });

  it("fails a non-numeric APP_ID", async () => {
    const { env, cwd } = await goodEnv();
    const result = await doctor({ ...env, APP_ID: "Iv1.abc123" }, cwd);
    expect(result.code).toBe(1);
    expect(result.line(/APP_ID/)).toMatch(/^✖ APP_ID: not a number — copy the numeric App ID/);
    // The env check knows APP_ID too; the problem is reported once.
    expect(result.text.match(/APP_ID/g)).toHaveLength(1);
    expect(result.text).toMatch(/\n1 problem to fix/);
  });

  it("fails a private key that does not parse, without echoing it", async () => {
    const { env, cwd } = await goodEnv();
    const garbage = "-----BEGIN RSA PRIVATE KEY-----\nTUlJRW93SUJBQUtDQVFFQXRoaXNJc05vdEFLZXk=\n-----END RSA PRIVATE KEY-----\n";
    const result = await doctor({ ...env, PRIVATE_KEY: garbage }, cwd);
    expect(result.code).toBe(1);
    expect(result.line(/private key/)).toMatch(/^✖ private key from PRIVATE_KEY does not parse as a PEM private key — /);
    expectNoSecrets(result.text, "TUlJRW93SUJBQUtDQVFFQXRoaXNJc05vdEFLZXk");
  });

  it("fails a missing private key and a key that is not RSA", async () => {
    const { env, cwd } = await goodEnv();
    const { PRIVATE_KEY: _unused, ...withoutKey } = env;
    const missing = await doctor(withoutKey, cwd);
    expect(missing.code).toBe(1);
    expect(missing.line(/private key/)).toMatch(/^✖ private key: not set — set PRIVATE_KEY .* or PRIVATE_KEY_PATH/);

    const ec = generateKeyPairSync("ec", { namedCurve: "P-256", privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    const notRsa = await doctor({ ...env, PRIVATE_KEY: ec.privateKey }, cwd);
    expect(notRsa.code).toBe(1);
    expect(notRsa.line(/private key/)).toMatch(/^✖ private key from PRIVATE_KEY is not an RSA key \(it is ec\) — GitHub App keys are RSA/);
    expectNoSecrets(notRsa.text, ...keyFragments(ec.privateKey).map((l) => l.slice(0, 16)));
  });

  it("fails a missing key file", async () => {
    const { env, cwd } = await goodEnv();
    const { PRIVATE_KEY: _unused, ...withoutKey } = env;
    const result = await doctor({ ...withoutKey, PRIVATE_KEY_PATH: "nope.pem" }, cwd);
    expect(result.line(/private key/)).toMatch(/^✖ private key: cannot read PRIVATE_KEY_PATH \(nope\.pem\) \(ENOENT\)/);
  });

  it('fails WEBHOOK_SECRET="development" in production, and only warns about it in development', async () => {
    const { env, cwd } = await goodEnv();
    const production = await doctor({ ...env, WEBHOOK_SECRET: "development" }, cwd);
    expect(production.code).toBe(1);
    expect(production.line(/WEBHOOK_SECRET/)).toMatch(/^✖ WEBHOOK_SECRET is Probot's default "development", and planwright refuses to start/);
    expect(production.text.match(/WEBHOOK_SECRET/g)).toHaveLength(1);

    const development = await doctor({ ...env, NODE_ENV: "development", WEBHOOK_SECRET: undefined }, cwd);
    expect(development.code).toBe(0);
    expect(development.line(/WEBHOOK_SECRET/)).toMatch(/^! WEBHOOK_SECRET: not set: fine for local development/);
    expect(development.text).toMatch(/\nReady, with 1 warning/);
  });

  it("fails a missing ANTHROPIC_API_KEY, unless the server is webhook-only", async () => {
    const { env, cwd } = await goodEnv();
    const worker = await doctor({ ...env, ANTHROPIC_API_KEY: undefined }, cwd);
    expect(worker.code).toBe(1);
    expect(worker.line(/ANTHROPIC_API_KEY/)).toMatch(/^✖ ANTHROPIC_API_KEY: not set, so every job fails/);
    const server = await doctor({ ...env, ANTHROPIC_API_KEY: undefined, PLANWRIGHT_CONCURRENCY: "0" }, cwd);
    expect(server.code).toBe(0);
    expect(server.line(/ANTHROPIC_API_KEY/)).toMatch(/^! ANTHROPIC_API_KEY: not set — a webhook-only server does not need it/);
  });

  it("reports Redis unreachable on a closed port", async () => {
    const { env, cwd } = await goodEnv();
    const port = await freePort();
    const result = await doctor({ ...env, REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:${port}/0` }, cwd);
    expect(result.code).toBe(1);
    expect(result.line(/Redis/)).toBe(
      `✖ Redis: nothing accepts connections on 127.0.0.1:${port} — start Redis there or check the host and port in REDIS_URL, ` +
        "that Redis is running, and that this machine may reach it",
    );
    expectNoSecrets(result.text);
  });

  it("checks the queue's own PLANWRIGHT_REDIS_URL when both it and REDIS_URL are set, printing neither password", async () => {
    const redis = await fakeRedis((command) => (command[0] === "PING" ? "+PONG\r\n" : "+OK\r\n"));
    const { env, cwd } = await goodEnv();
    const result = await doctor(
      {
        ...env,
        PLANWRIGHT_REDIS_URL: `redis://:${encodeURIComponent(REDIS_PASSWORD)}@127.0.0.1:${redis.port}`,
        REDIS_URL: `redis://:${encodeURIComponent(REDIS_PASSWORD)}-other@127.0.0.1:1`,
      },
      cwd,
    );
    expect(result.line(/Redis/)).toBe(`✔ Redis (PLANWRIGHT_REDIS_URL) at 127.0.0.1:${redis.port} answers PING (database 0)`);
    expect(result.text).not.toContain(REDIS_PASSWORD);
  });

  it("authenticates, selects the database and expects PONG from a Redis server", async () => {
    const redis = await fakeRedis((command) => (command[0] === "PING" ? "+PONG\r\n" : "+OK\r\n"));
    const { env, cwd } = await goodEnv();
    const result = await doctor({ ...env, REDIS_URL: `redis://:${encodeURIComponent(REDIS_PASSWORD)}@127.0.0.1:${redis.port}/3` }, cwd);
    expect(result.code).toBe(0);
    expect(result.line(/Redis/)).toBe(`✔ Redis (REDIS_URL) at 127.0.0.1:${redis.port} answers PING (database 3)`);
    expect(redis.commands).toEqual([["AUTH", REDIS_PASSWORD], ["SELECT", "3"], ["PING"]]);
    expectNoSecrets(result.text);
  });

  it("sends an ACL user name, and sends no AUTH when the URL has no password", async () => {
    const redis = await fakeRedis((command) => (command[0] === "PING" ? "+PONG\r\n" : "+OK\r\n"));
    const { env, cwd } = await goodEnv();
    await doctor({ ...env, REDIS_URL: `redis://planwright:${REDIS_PASSWORD}@127.0.0.1:${redis.port}` }, cwd);
    await doctor({ ...env, REDIS_URL: redis.url }, cwd);
    expect(redis.commands).toEqual([["AUTH", "planwright", REDIS_PASSWORD], ["PING"], ["PING"]]);
  });

  it("says what is wrong when Redis refuses the password or wants one", async () => {
    const strict = await fakeRedis((command) =>
      command[0] === "AUTH" ? "-WRONGPASS invalid username-password pair or user is disabled.\r\n" : "-NOAUTH Authentication required.\r\n",
    );
    const { env, cwd } = await goodEnv();
    const wrong = await doctor({ ...env, REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:${strict.port}` }, cwd);
    expect(wrong.code).toBe(1);
    expect(wrong.line(/Redis/)).toMatch(/^✖ Redis: 127\.0\.0\.1:\d+ rejected the credentials in REDIS_URL/);
    const none = await doctor({ ...env, REDIS_URL: strict.url }, cwd);
    expect(none.line(/Redis/)).toMatch(/^✖ Redis: 127\.0\.0\.1:\d+ requires a password — add it to REDIS_URL/);
    expectNoSecrets(wrong.text + none.text);
  });

  it("does not echo what a server that is not Redis sends back", async () => {
    // An echo server would send the AUTH command, password included, straight back.
    const server = net.createServer((socket) => socket.on("data", (chunk) => socket.write(chunk)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const port = (server.address() as net.AddressInfo).port;
    const { env, cwd } = await goodEnv();
    const result = await doctor({ ...env, REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:${port}` }, cwd);
    expect(result.line(/Redis/)).toMatch(/answered, but not like Redis does/);
    expectNoSecrets(result.text);
  });

  it("gives up on a Redis that never answers", async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    closers.push(
      () =>
        new Promise((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(() => resolve());
        }),
    );
    const port = (silent.address() as net.AddressInfo).port;
    const { env, cwd } = await goodEnv();
    const result = await doctor({ ...env, REDIS_URL: `redis://127.0.0.1:${port}` }, cwd, { redisTimeoutMs: 200 });
    expect(result.line(/Redis/)).toMatch(/^✖ Redis: no answer from 127\.0\.0\.1:\d+ within 0\.2 s/);
  });

  it("fails an unsupported Node.js", async () => {
    const { env, cwd } = await goodEnv();
    const result = await doctor(env, cwd, { nodeVersion: "18.20.4" });
    expect(result.code).toBe(1);
    expect(result.line(/Node\.js/)).toBe("✖ Node.js 18.20.4 is not supported (planwright needs ^20.18.1 || >=22) — install Node.js 22 LTS, or 20.18.1 or later");
  });

  it("knows the engines range", () => {
    for (const ok of ["20.18.1", "20.19.0", "v20.20.2", "22.0.0", "24.3.1"]) expect(nodeVersionSupported(ok), ok).toBe(true);
    for (const bad of ["20.18.0", "20.17.9", "21.7.3", "18.20.4", "garbage"]) expect(nodeVersionSupported(bad), bad).toBe(false);
  });

  it("fails without git, and only warns without ripgrep and bubblewrap in auto mode", async () => {
    const { env, cwd } = await goodEnv();
    const emptyBin = await tempDir();
    const result = await doctor({ ...env, PATH: emptyBin }, cwd);
    expect(result.code).toBe(1);
    expect(result.line(/git/)).toMatch(/^✖ git: not found on PATH — install git/);
    expect(result.line(/ripgrep/)).toMatch(/^! ripgrep: not found on PATH/);
    expect(result.line(/bubblewrap/)).toMatch(/^! bubblewrap: not found on PATH/);
    const strict = await doctor({ ...env, PATH: emptyBin, PLANWRIGHT_SANDBOX: "bwrap" }, cwd);
    expect(strict.line(/bubblewrap/)).toMatch(/^✖ bubblewrap: not found on PATH/);
  });

  it("fails a data directory that cannot be written", async () => {
    const { env, cwd } = await goodEnv();
    await writeFile(path.join(cwd, "a-file"), "");
    const result = await doctor({ ...env, PLANWRIGHT_DATA_DIR: "a-file/data" }, cwd);
    expect(result.code).toBe(1);
    expect(result.line(/data directory/)).toMatch(/^✖ data directory .*a-file\/data is not writable \(ENOTDIR\) — set PLANWRIGHT_DATA_DIR/);
  });

  it("reports the environment check's other problems, each on its line", async () => {
    const { env, cwd } = await goodEnv();
    const result = await doctor({ ...env, PLANWRIGHT_CONCURRENCY: "lots", PLANWRIGHT_SANDBOX: "docker" }, cwd);
    expect(result.code).toBe(1);
    expect(result.text).toContain('✖ environment: PLANWRIGHT_CONCURRENCY must be a whole number from 0 to 64 (got "lots")');
    expect(result.text).toContain('✖ environment: PLANWRIGHT_SANDBOX must be "auto", "bwrap" or "none"');
  });

  it("reads .env from the working directory like npm start, over the environment", async () => {
    const { env, cwd } = await goodEnv();
    await mkdir(path.join(cwd, "sub"));
    await writeFile(path.join(cwd, ".env"), `APP_ID=777\nWEBHOOK_SECRET=${WEBHOOK_SECRET}\n`);
    const result = await doctor({ ...env, APP_ID: "not-a-number", WEBHOOK_SECRET: undefined }, cwd);
    expect(result.code).toBe(0);
    expect(result.line(/\.env/)).toBe(`✔ .env: read 2 variables from ${path.join(cwd, ".env")} (they override the environment, as in \`npm start\`)`);
    expect(result.line(/^. APP_ID/)).toBe("✔ APP_ID 777");
    expectNoSecrets(result.text);
  });

  it("prints help, and rejects unknown options", async () => {
    const { env, cwd } = await goodEnv();
    const help = await doctor(env, cwd, {}, ["--help"]);
    expect(help.code).toBe(0);
    expect(help.text).toMatch(/^Usage: planwright doctor/);
    const bad = await doctor(env, cwd, {}, ["--fix"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/Unknown option '--fix'/);
  });
});
