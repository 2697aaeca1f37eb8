import { execFile, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

export interface RedisClusterHandle {
  /** `redis://127.0.0.1:<port>` of the first node; the others are found through it. */
  url: string;
  ports: number[];
  stop(): Promise<void>;
}

/** True when a TCP port on loopback can be bound right now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** Ports whose cluster bus ports (port + 10000) are free too. */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let attempt = 0; ports.length < count && attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 9_000);
    if (ports.includes(port)) continue;
    if ((await portFree(port)) && (await portFree(port + 10_000))) ports.push(port);
  }
  if (ports.length < count) throw new Error("found no free loopback ports for a Redis Cluster");
  return ports;
}

async function clusterState(port: number): Promise<string> {
  try {
    const { stdout } = await exec("redis-cli", ["-p", String(port), "cluster", "info"]);
    return /cluster_state:(\w+)/.exec(stdout)?.[1] ?? "unknown";
  } catch {
    return "down";
  }
}

/**
 * A real three-master Redis Cluster on loopback, from the same redis-server
 * binary CI installs, in a temporary directory with nothing kept on disk.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterHandle> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pw-redis-cluster-"));
  const ports = await freePorts(masters);
  const children: ChildProcess[] = ports.map((port) =>
    spawn(
      "redis-server",
      [
        "--port", String(port),
        "--bind", "127.0.0.1",
        "--cluster-enabled", "yes",
        "--cluster-config-file", path.join(dir, `nodes-${port}.conf`),
        "--cluster-node-timeout", "2000",
        "--save", "",
        "--appendonly", "no",
        "--dir", dir,
      ],
      { stdio: "ignore" },
    ),
  );
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGKILL");
          }),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      const deadline = Date.now() + 10_000;
      while ((await clusterState(port)) === "down") {
        if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    await exec("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"]);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const states = await Promise.all(ports.map(clusterState));
      if (states.every((s) => s === "ok")) break;
      if (Date.now() > deadline) throw new Error(`the Redis Cluster did not become ready (${states.join(", ")})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis://127.0.0.1:${ports[0]}`, ports, stop };
}
