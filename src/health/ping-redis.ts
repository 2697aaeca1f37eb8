import net from "node:net";
import tls from "node:tls";

export type RedisPing =
  | { ok: true; address: string; db: number }
  /** `problem` and `fix` never contain the URL's credentials. */
  | { ok: false; problem: string; fix: string };

export interface PingRedisOptions {
  /** Whole exchange, connect included. Default 2000. */
  timeoutMs?: number;
}

interface RedisTarget {
  host: string;
  port: number;
  tls: boolean;
  username: string;
  password: string;
  db: number;
}

/**
 * Connects to `redisUrl` (`redis://[[user]:password@]host[:port][/db]`, or
 * `rediss://` for TLS), authenticates, selects the database and expects
 * `+PONG`. Raw RESP over a socket: a reachability check needs no client
 * library, and it cannot reconnect forever the way a client would.
 */
export async function pingRedis(redisUrl: string, options: PingRedisOptions = {}): Promise<RedisPing> {
  const target = parseRedisUrl(redisUrl);
  if ("problem" in target) return { ok: false, ...target };
  const address = `${target.host.includes(":") ? `[${target.host}]` : target.host}:${target.port}`;
  const timeoutMs = options.timeoutMs ?? 2000;

  const commands: string[][] = [];
  if (target.password) commands.push(target.username ? ["AUTH", target.username, target.password] : ["AUTH", target.password]);
  if (target.db !== 0) commands.push(["SELECT", String(target.db)]);
  commands.push(["PING"]);

  let replies: string[];
  try {
    replies = await exchange(target, commands, timeoutMs);
  } catch (error) {
    return { ok: false, ...connectionProblem(error, address, timeoutMs) };
  }
  for (const reply of replies) {
    if (reply.startsWith("-")) return { ok: false, ...errorReplyProblem(reply.slice(1), target, address) };
    if (!reply.startsWith("+")) {
      // Not echoed: whatever answered is not Redis and might repeat our AUTH line back.
      return {
        ok: false,
        problem: `${address} answered, but not like Redis does`,
        fix: "check the host and port in REDIS_URL (is another service listening there?)",
      };
    }
  }
  if (replies.at(-1) !== "+PONG") {
    return { ok: false, problem: `${address} did not answer PING with PONG`, fix: "check that REDIS_URL points at a Redis server" };
  }
  return { ok: true, address, db: target.db };
}

function parseRedisUrl(redisUrl: string): RedisTarget | { problem: string; fix: string } {
  const fix = "set REDIS_URL to redis://[:password@]host[:port][/db], e.g. redis://redis:6379";
  let url: URL;
  try {
    url = new URL(redisUrl);
  } catch {
    return { problem: "REDIS_URL is not a URL", fix };
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    return { problem: `REDIS_URL must start with redis:// or rediss:// (it starts with ${url.protocol}//)`, fix };
  }
  if (!url.hostname) return { problem: "REDIS_URL has no host", fix };
  const dbText = url.pathname.replace(/^\//, "");
  const db = dbText === "" ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) return { problem: "REDIS_URL's database (the path after the port) is not a number", fix };
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port ? Number(url.port) : 6379,
    tls: url.protocol === "rediss:",
    username: safeDecode(url.username),
    password: safeDecode(url.password),
    db,
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Bulk-string arrays, so a password with spaces or quotes arrives intact. */
function encodeCommand(parts: string[]): string {
  return `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join("")}`;
}

/** Sends every command at once and resolves with one line per command. */
function exchange(target: RedisTarget, commands: string[][], timeoutMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = target.tls
      ? tls.connect({ host: target.host, port: target.port, servername: net.isIP(target.host) ? undefined : target.host })
      : net.connect({ host: target.host, port: target.port });
    let buffered = "";
    const replies: string[] = [];
    const done = (error: Error | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(replies);
    };
    const timer = setTimeout(() => done(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })), timeoutMs);
    socket.once(target.tls ? "secureConnect" : "connect", () => socket.write(commands.map(encodeCommand).join("")));
    socket.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let end: number;
      while (replies.length < commands.length && (end = buffered.indexOf("\r\n")) !== -1) {
        replies.push(buffered.slice(0, end));
        buffered = buffered.slice(end + 2);
      }
      // A reply that is not a one-line status ends the exchange: there is nothing more to learn.
      const last = replies.at(-1);
      if (replies.length === commands.length || (last !== undefined && !/^[+-]/.test(last))) done(undefined);
      // Something that never sends a line break (an HTTP server waiting for headers) times out instead.
      else if (buffered.length > 64 * 1024) done(undefined);
    });
    socket.once("error", (error) => done(error));
    socket.once("close", () => done(Object.assign(new Error("closed the connection"), { code: "ECONNRESET" })));
  });
}

function connectionProblem(error: unknown, address: string, timeoutMs: number): { problem: string; fix: string } {
  const code = (error as NodeJS.ErrnoException).code;
  const checkUrl = "check the host and port in REDIS_URL, that Redis is running, and that this machine may reach it";
  switch (code) {
    case "ECONNREFUSED":
      return { problem: `nothing accepts connections on ${address}`, fix: `start Redis there or ${checkUrl}` };
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return { problem: `the host name in REDIS_URL does not resolve (${address})`, fix: checkUrl };
    case "ETIMEDOUT":
      return { problem: `no answer from ${address} within ${timeoutMs / 1000} s`, fix: `${checkUrl} (a firewall may drop the packets)` };
    case "ECONNRESET":
      return {
        problem: `${address} closed the connection before answering PING`,
        fix: "if Redis uses TLS, write rediss:// instead of redis://; otherwise check Redis's logs",
      };
    default:
      return {
        problem: `cannot talk to ${address} (${code ?? (error instanceof Error ? error.message : String(error))})`,
        fix: `${checkUrl}; for TLS use rediss://`,
      };
  }
}

function errorReplyProblem(reply: string, target: RedisTarget, address: string): { problem: string; fix: string } {
  const text = target.password ? reply.split(target.password).join("***") : reply;
  if (/^NOAUTH/i.test(text)) {
    return { problem: `${address} requires a password`, fix: "add it to REDIS_URL as `:password@` before the host" };
  }
  if (/^WRONGPASS|invalid (username-)?password/i.test(text)) {
    return { problem: `${address} rejected the credentials in REDIS_URL`, fix: "check the user name and password in REDIS_URL" };
  }
  if (/without any password configured/i.test(text)) {
    return {
      problem: `REDIS_URL has a password, but ${address} has none set`,
      fix: "remove the password from REDIS_URL, or set requirepass on the Redis server",
    };
  }
  if (/DB index is out of range/i.test(text)) {
    return { problem: `${address} has no database ${target.db}`, fix: "use a smaller database number in REDIS_URL (default 0)" };
  }
  return { problem: `${address} answered with an error: ${text.slice(0, 200)}`, fix: "see Redis's documentation for this error" };
}
