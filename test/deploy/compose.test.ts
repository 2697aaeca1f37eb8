import { execFile } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  env_file?: string;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  healthcheck?: { test?: string[]; disable?: boolean };
  security_opt?: string[];
}

interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

async function loadCompose(): Promise<Compose> {
  // Compose resolves `<<: *anchor` merge keys; YAML 1.2 parsers only do when asked.
  return parse(await readFile(path.join(root, "docker-compose.yml"), "utf8"), { merge: true }) as Compose;
}

describe("docker-compose.yml", () => {
  it("defines redis, a webhook-only server and two workers", async () => {
    const compose = await loadCompose();
    expect(Object.keys(compose.services).sort()).toEqual(["redis", "server", "worker"]);
  });

  it("runs Redis 7 with a health check and a persistent volume", async () => {
    const { services, volumes } = await loadCompose();
    const redis = services.redis!;
    expect(redis.image).toBe("redis:7-alpine");
    expect(redis.healthcheck?.test).toEqual(["CMD", "redis-cli", "ping"]);
    expect(redis.volumes).toContain("redis-data:/data");
    expect(volumes).toHaveProperty("redis-data");
  });

  it("puts Redis behind a password that compose refuses to start without, and gives it to every client", async () => {
    const { services } = await loadCompose();
    const command = services.redis!.command ?? [];
    expect(command.slice(command.indexOf("--requirepass"), command.indexOf("--requirepass") + 2)).toEqual([
      "--requirepass",
      expect.stringMatching(/^\$\{REDIS_PASSWORD:\?[^}]+\}$/),
    ]);
    expect(services.redis!.environment?.REDISCLI_AUTH).toBe("${REDIS_PASSWORD}");
    for (const name of ["server", "worker"]) expect(services[name]!.environment?.REDIS_URL).toMatch(/^redis:\/\/:\$\{REDIS_PASSWORD\}@redis:6379$/);
  });

  it("builds the server from this repository, takes no jobs, and checks /readyz", async () => {
    const server = (await loadCompose()).services.server!;
    expect(server.build).toBe(".");
    expect(server.env_file).toBe(".env");
    expect(server.environment).toMatchObject({ PLANWRIGHT_CONCURRENCY: "0", REDIS_URL: "redis://:${REDIS_PASSWORD}@redis:6379" });
    expect(server.ports).toEqual(["3000:3000"]);
    expect(server.healthcheck?.test?.join(" ")).toContain("/readyz");
    expect(server.depends_on?.redis?.condition).toBe("service_healthy");
  });

  it("runs workers from the same image with the worker command, two replicas, each with its own data", async () => {
    const { services, volumes } = await loadCompose();
    const worker = services.worker!;
    expect(worker.image).toBe(services.server!.image);
    expect(worker.command).toEqual(["node", "dist/cli/main.js", "worker"]);
    expect(worker.environment?.REDIS_URL).toBe("redis://:${REDIS_PASSWORD}@redis:6379");
    expect(worker.environment).not.toHaveProperty("PLANWRIGHT_CONCURRENCY", "0");
    expect(worker.env_file).toBe(".env");
    expect(worker.deploy?.replicas).toBe(2);
    // An anonymous volume: a named one would be shared by every replica.
    expect(worker.volumes).toEqual(["/data"]);
    expect(Object.keys(volumes ?? {})).not.toContain("worker-data");
    expect(worker.security_opt).toEqual(["seccomp=unconfined", "apparmor=unconfined", "systempaths=unconfined"]);
    expect(worker.ports).toBeUndefined();
  });

  it("checks each worker's readiness on its own port, PLANWRIGHT_WORKER_PORT's default 3001", async () => {
    const worker = (await loadCompose()).services.worker!;
    expect(worker.healthcheck?.disable).toBeUndefined();
    expect(worker.healthcheck?.test?.join(" ")).toContain("http://127.0.0.1:3001/readyz");
    // 3001 is the default only if nothing under `environment` moves it.
    expect(worker.environment).not.toHaveProperty("PLANWRIGHT_WORKER_PORT");
  });

  it("runs a command the image has: the CLI is built to dist/cli/main.js", async () => {
    const build = JSON.parse(await readFile(path.join(root, "tsconfig.build.json"), "utf8")) as { compilerOptions?: { outDir?: string; rootDir?: string } };
    const pkg = JSON.parse(await readFile(path.join(root, "package.json"), "utf8")) as { bin: Record<string, string> };
    expect(pkg.bin.planwright).toBe("./dist/cli/main.js");
    expect(build.compilerOptions).toMatchObject({ rootDir: "src", outDir: "dist" });
  });
});

describe("Dockerfile", () => {
  it("checks liveness on /healthz", async () => {
    const dockerfile = await readFile(path.join(root, "Dockerfile"), "utf8");
    const healthcheck = dockerfile.split("\n").find((line) => line.startsWith("HEALTHCHECK"));
    expect(healthcheck).toContain("/healthz");
    expect(healthcheck).not.toContain("/ping");
  });

  it("has a HEALTHCHECK script that passes when the server or the worker port answers, and fails when neither does", async () => {
    const dockerfile = await readFile(path.join(root, "Dockerfile"), "utf8");
    const line = dockerfile.split("\n").find((l) => l.startsWith("HEALTHCHECK")) ?? "";
    const script = /CMD node -e "(.*)"$/.exec(line)?.[1];
    expect(script, line).toBeDefined();
    const healthy = http.createServer((req, res) => {
      res.writeHead(req.url === "/healthz" ? 200 : 404).end();
    });
    await new Promise<void>((resolve) => healthy.listen(0, "127.0.0.1", resolve));
    const up = String((healthy.address() as AddressInfo).port);
    // A port nothing listens on: bind one, note it, close it.
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const down = String((probe.address() as AddressInfo).port);
    await new Promise((resolve) => probe.close(resolve));
    const check = (PORT: string, PLANWRIGHT_WORKER_PORT: string) =>
      new Promise<number | null>((resolve) => {
        execFile(process.execPath, ["-e", script!], { env: { PATH: process.env.PATH, PORT, PLANWRIGHT_WORKER_PORT } }, (error) =>
          resolve(error ? ((error as { code?: number }).code ?? null) : 0),
        );
      });
    try {
      expect(await check(up, down)).toBe(0);
      expect(await check(down, up)).toBe(0);
      expect(await check(down, down)).toBe(1);
    } finally {
      await new Promise((resolve) => healthy.close(resolve));
    }
  });
});

describe(".dockerignore", () => {
  it("keeps secrets and local state out of the build context, and out of git's way", async () => {
    const ignored = (await readFile(path.join(root, ".dockerignore"), "utf8")).split("\n").map((l) => l.trim());
    // `docker build` sends the whole context to the engine: a developer's .env or app key must not travel.
    for (const entry of [".env", ".env.*", "*.pem", "node_modules", ".git", ".planwright"]) expect(ignored).toContain(entry);
    // Everything the Dockerfile copies must stay in the context.
    const dockerfile = await readFile(path.join(root, "Dockerfile"), "utf8");
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect(copied).toEqual(expect.arrayContaining(["package.json", "src", "app.yml"]));
    for (const source of copied) expect(ignored).not.toContain(source);
  });
});
