import { execFile } from "node:child_process";
import { networkInterfaces } from "node:os";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** What a command printed; failures carry both streams in their message. */
export async function run(command: string, args: string[], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout } = await exec(command, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

/** Fails with what to do when no Docker engine answers. */
export async function requireDocker(): Promise<void> {
  try {
    await exec("docker", ["info", "--format", "{{.ServerVersion}}"], { timeout: 20_000 });
  } catch (error) {
    throw new Error(
      `npm run test:docker needs a running Docker engine (docker info failed: ${(error as Error).message.split("\n")[0]}). ` +
        "Start one (e.g. apt-get install docker.io && dockerd &) and run it again.",
    );
  }
}

/**
 * `docker compose` (v2) where the plugin is installed, else Debian 12's
 * `docker-compose` (v1.29), which honours `deploy.replicas` only with
 * `--compatibility`.
 */
export async function composeCommand(): Promise<string[]> {
  if (await exec("docker", ["compose", "version"]).then(() => true, () => false)) return ["docker", "compose"];
  if (await exec("docker-compose", ["version"]).then(() => true, () => false)) return ["docker-compose", "--compatibility"];
  throw new Error("npm run test:docker needs docker compose (v2 plugin) or docker-compose (v1.29+, Debian: apt-get install docker-compose)");
}

/** An address of this host that both the host and every container reach. */
export async function bridgeGateway(): Promise<string> {
  const out = await run("docker", ["network", "inspect", "bridge", "--format", "{{range .IPAM.Config}}{{.Gateway}}{{end}}"]);
  if (/^\d+\.\d+\.\d+\.\d+$/.test(out.trim())) return out.trim();
  // Older engines leave the gateway out, and an idle bridge is down (so Node does not list it):
  // the host's own outward address is reachable from every container too.
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
  if (!address) throw new Error("cannot find an address of this host that containers can reach (no IPv4 interface besides loopback)");
  return address;
}

export interface ContainerState {
  id: string;
  hostname: string;
  status: string;
  health: string | undefined;
  exitCode: number;
}

/** One compose project, named so that it never touches an operator's own. */
export class ComposeProject {
  constructor(
    private readonly command: string[],
    readonly name: string,
    private readonly file: string,
  ) {}

  compose(args: string[], timeoutMs = 120_000): Promise<string> {
    const [bin, ...prefix] = this.command;
    return run(bin!, [...prefix, "-p", this.name, "-f", this.file, ...args], timeoutMs);
  }

  async containers(service: string): Promise<ContainerState[]> {
    const ids = (await this.compose(["ps", "-a", "-q", service])).split("\n").filter(Boolean);
    if (ids.length === 0) return [];
    const out = await run("docker", ["inspect", ...ids]);
    return (JSON.parse(out) as Array<{ Id: string; Config: { Hostname: string }; State: { Status: string; ExitCode: number; Health?: { Status: string } } }>).map((c) => ({
      id: c.Id,
      hostname: c.Config.Hostname,
      status: c.State.Status,
      health: c.State.Health?.Status,
      exitCode: c.State.ExitCode,
    }));
  }

  logs(service?: string): Promise<string> {
    return this.compose(["logs", "--no-color", ...(service ? [service] : [])]).catch((error: Error) => error.message);
  }

  exec(container: string, command: string[]): Promise<string> {
    return run("docker", ["exec", container, ...command]);
  }
}

/** Polls until `probe` returns a value, failing with `what` and `context()` (e.g. the compose logs). */
export async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs: number, context: () => Promise<string>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}\n${await context()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
