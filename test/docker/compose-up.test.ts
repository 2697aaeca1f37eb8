import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueLabeledPayload, sendWebhook } from "../helpers/fake-github-server.js";
import { freePort } from "../helpers/free-port.js";
import { git } from "../helpers/git-repo.js";
import { TEST_PRIVATE_KEY } from "../helpers/probot.js";
import { startScriptedModel, textReply, toolUseReply, SAMPLE_REPORT } from "../helpers/scripted-model.js";
import type { RecordedRequest, Reply, ScriptedModel } from "../helpers/scripted-model.js";
import { goodRun, startWidgetsWorld, WIDGETS_BRANCH } from "../helpers/widgets-world.js";
import type { WidgetsWorld } from "../helpers/widgets-world.js";
import { bridgeGateway, ComposeProject, composeCommand, requireDocker, run, until } from "./compose-harness.js";
import type { ContainerState } from "./compose-harness.js";

/**
 * docker-compose.yml as an operator runs it: the image built from this
 * repository's Dockerfile, Redis, one webhook-only server and two workers,
 * talking to a fake GitHub and a scripted model on this machine.
 *
 * Changed from the committed file, and only this: the server's port is
 * published on a free loopback port; with PLANWRIGHT_DOCKER_OFFLINE=1 the
 * two public base images are replaced by the stand-ins that
 * test/docker/offline-base-images.sh builds from Debian's packages; and under
 * Compose v1 (Debian 12's docker-compose), which cannot pass
 * `systempaths=unconfined` (only the docker CLI and Compose v2 translate it),
 * the workers run privileged instead. A separate test runs the image with the
 * compose file's exact security options through the docker CLI.
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OFFLINE = process.env.PLANWRIGHT_DOCKER_OFFLINE === "1";
const SECRET = "docker-webhook-secret-value";
const MODEL_KEY = "sk-ant-docker-test-key-0123456789";
const SECOND_ISSUE = "Second health check";
const REDIS_PASSWORD = "0123456789abcdef0123456789abcdef";

let world: WidgetsWorld;
let model: ScriptedModel;
let project: ComposeProject;
let workdir: string;
let serverUrl: string;
/** The workers' security_opt as committed. */
let workerSecurity: string[] = [];
/** Resolves the model's answer that was held back to let a worker be killed mid-run. */
let releaseHeld: () => void = () => undefined;
let held = false;

const logs = () => project.logs();

/** Which issue a conversation is about: the first user message carries the issue's title. */
function script(request: RecordedRequest): Reply | Promise<Reply> {
  const first = JSON.stringify(request.messages[0]);
  const turn = request.messages.filter((m) => m.role === "assistant").length;
  if (first.includes(SECOND_ISSUE)) {
    if (turn === 1 && !held) {
      held = true;
      return new Promise<Reply>((resolve) => {
        releaseHeld = () => resolve(textReply("too late: this worker was killed"));
      });
    }
    return goodRun(turn);
  }
  // Issue #1 also looks at where the agent's commands run.
  if (turn === 0) return goodRun(0);
  if (turn === 1) return toolUseReply([{ name: "Bash", input: { command: "tr '\\0' ' ' </proc/1/cmdline; echo; env" } }]);
  if (turn === 2) return goodRun(1);
  return textReply(SAMPLE_REPORT);
}

/** Every tool result the model was sent, as text. */
function toolResults(): string[] {
  return model.requests.flatMap((r) =>
    r.messages.flatMap((m) =>
      Array.isArray(m.content) ? m.content.filter((b) => b.type === "tool_result").map((b) => JSON.stringify(b.content)) : [],
    ),
  );
}

async function label(issueNumber: number): Promise<void> {
  const payload = await issueLabeledPayload(world.fake, { owner: "acme", repo: "widgets", issueNumber, label: "backend", sender: "alice" });
  const response = await sendWebhook({ url: `${serverUrl}/api/github/webhooks`, secret: SECRET, event: "issues", payload });
  expect(response.status).toBe(200);
}

async function healthy(service: string, count: number): Promise<ContainerState[] | undefined> {
  const states = await project.containers(service);
  const good = states.filter((s) => s.status === "running" && (s.health === undefined || s.health === "healthy"));
  return good.length === count ? good : undefined;
}

beforeAll(async () => {
  await requireDocker();
  const command = await composeCommand();
  if (OFFLINE) await run(path.join(ROOT, "test/docker/offline-base-images.sh"), [], 900_000);
  const gateway = await bridgeGateway();
  const listen = { host: gateway, advertisedHost: gateway };
  world = await startWidgetsWorld({ listen });
  world.fake.addIssue({ owner: "acme", repo: "widgets", title: SECOND_ISSUE, body: "health.js must report ok, again.", user: "alice" });
  model = await startScriptedModel(script, listen);

  workdir = await mkdtemp(path.join(os.tmpdir(), "pw-compose-"));
  const compose = parse(await readFile(path.join(ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as ComposeFile;
  const port = await freePort();
  serverUrl = `http://127.0.0.1:${port}`;
  compose.services.server.ports = [`127.0.0.1:${port}:3000`];
  for (const name of ["server", "worker"] as const) {
    const service = compose.services[name];
    service.build = { context: ROOT, ...(OFFLINE ? { args: { NODE_IMAGE: "planwright-offline/node:bookworm-slim" } } : {}) };
  }
  if (OFFLINE) compose.services.redis.image = "planwright-offline/redis:7";
  workerSecurity = (compose.services.worker.security_opt as string[] | undefined) ?? [];
  if (command[0] === "docker-compose") {
    compose.services.worker.security_opt = workerSecurity.filter((o) => o !== "systempaths=unconfined");
    compose.services.worker.privileged = true;
  }
  // YAML 1.1 quoting: compose v1 reads a bare `yes` as true.
  await writeFile(path.join(workdir, "docker-compose.yml"), stringify(compose, { version: "1.1" }));
  // One line per variable: `docker run --env-file` and compose v1 read no multi-line values, so the key goes in base64.
  await writeFile(
    path.join(workdir, ".env"),
    [
      "APP_ID=123",
      `PRIVATE_KEY=${Buffer.from(TEST_PRIVATE_KEY).toString("base64")}`,
      `WEBHOOK_SECRET=${SECRET}`,
      `ANTHROPIC_API_KEY=${MODEL_KEY}`,
      `ANTHROPIC_BASE_URL=${model.url}`,
      `GHE_HOST=${world.fake.host}`,
      "GHE_PROTOCOL=http",
      // A killed worker's job is taken up again after its lease and the retry delay: keep both short here.
      "PLANWRIGHT_LEASE_SECONDS=6",
      "PLANWRIGHT_RETRY_DELAY_SECONDS=1",
      "LOG_LEVEL=info",
      `REDIS_PASSWORD=${REDIS_PASSWORD}`,
      "",
    ].join("\n"),
  );
  project = new ComposeProject(command, `pwtest${process.pid}`, path.join(workdir, "docker-compose.yml"));
  await project.compose(["build"], 900_000);
  await project.compose(["up", "-d"], 300_000);
}, 1_200_000);

afterAll(async () => {
  await project?.compose(["down", "-v", "--remove-orphans", "-t", "5"], 120_000).catch(() => undefined);
  await model?.close();
  await world?.close();
  if (workdir) await rm(workdir, { recursive: true, force: true });
}, 180_000);

interface ComposeService {
  build?: unknown;
  image?: string;
  ports?: string[];
  [key: string]: unknown;
}
interface ComposeFile {
  services: { redis: ComposeService; server: ComposeService; worker: ComposeService };
  [key: string]: unknown;
}

describe("docker compose up: the image, Redis, a webhook-only server and two workers", () => {
  it("starts every service healthy, by the image's own checks", async () => {
    await until(() => healthy("redis", 1), "redis to be healthy", 120_000, logs);
    await until(() => healthy("server", 1), "the server to be healthy (/readyz)", 180_000, logs);
    const workers = await until(() => healthy("worker", 2), "two healthy workers (/readyz on 3001)", 180_000, logs);
    expect(new Set(workers.map((w) => w.hostname)).size).toBe(2);

    const ready = await fetch(`${serverUrl}/readyz`);
    expect(ready.status).toBe(200);
    // The queue answers only with the password (the agent's commands share this network).
    const redis = (await project.containers("redis"))[0]!;
    expect(await project.exec(redis.id, ["sh", "-c", "REDISCLI_AUTH= redis-cli ping"])).toMatch(/NOAUTH/);
    const server = (await project.containers("server"))[0]!;
    // Non-root, as the Dockerfile says.
    expect((await project.exec(server.id, ["id", "-u"])).trim()).toBe("1000");
  });

  it("lets bubblewrap start in the image with exactly the workers' security options", async () => {
    expect(workerSecurity).toContain("systempaths=unconfined");
    const worker = (await project.containers("worker"))[0]!;
    const image = (await run("docker", ["inspect", "--format", "{{.Image}}", worker.id])).trim();
    const options = workerSecurity.flatMap((o) => ["--security-opt", o]);
    const doctor = await run("docker", ["run", "--rm", ...options, image, "node", "dist/cli/main.js", "doctor"]).catch((e: Error) => e.message);
    expect(doctor).toMatch(/✔ bubblewrap works/);
    // And without them it does not: the options are what makes the difference.
    const bare = await run("docker", ["run", "--rm", image, "node", "dist/cli/main.js", "doctor"]).catch((e: Error) => e.message);
    expect(bare).toMatch(/bubblewrap is installed but cannot start a sandbox/);
  });

  it("turns a labelled issue into a pull request, run by a worker inside bubblewrap", async () => {
    await label(1);
    const pull = await until(async () => world.fake.state.pullRequests.find((p) => p.head === WIDGETS_BRANCH), "the pull request", 180_000, logs);
    await until(
      async () => world.fake.commentsOn("acme", "widgets", 1).find((c) => c.body.includes("planwright finished")),
      "the finished tracking comment",
      60_000,
      logs,
    );
    expect(pull.body).toMatch(/✅ `npm test` passed/);
    expect(pull.draft).toBe(false);
    expect(await git(world.bare, "show", `${WIDGETS_BRANCH}:health.js`)).toContain("exports.ok = true");

    // The command ran in a sandbox: its PID 1 is not the container's tini, and the model key is not in its environment.
    const probe = toolResults().find((r) => r.includes("PATH="));
    expect(probe, "the /proc/1/cmdline and env tool result").toBeDefined();
    expect(probe).not.toContain("tini");
    expect(probe).not.toContain(MODEL_KEY);
    expect(await project.logs("worker")).not.toMatch(/bubblewrap cannot run here/);

    // The server only took the webhook; the checkout happened in exactly one worker's own /data.
    const server = (await project.containers("server"))[0]!;
    expect(await project.exec(server.id, ["ls", "/data"])).not.toContain("workspaces");
    const mirrors = await Promise.all(
      (await project.containers("worker")).map((w) => project.exec(w.id, ["ls", "/data/workspaces/mirrors"]).then((out) => out.trim(), () => "")),
    );
    expect(mirrors.filter((m) => m !== "")).toHaveLength(1);
  });

  it("finishes the job on the other worker when the one running it is killed", async () => {
    await label(2);
    await until(async () => (held ? true : undefined), "the agent's second turn on issue #2", 120_000, logs);
    const server = (await project.containers("server"))[0]!;
    const running = await until(
      async () => {
        const jobs = JSON.parse(await project.exec(server.id, ["node", "dist/cli/main.js", "jobs", "--state", "running", "--json"])) as Array<{
          workerId: string | null;
          spec: { issueNumber: number | null };
        }>;
        return jobs.find((j) => j.spec.issueNumber === 2 && j.workerId);
      },
      "issue #2's job to show as running",
      30_000,
      logs,
    );
    const workers = await project.containers("worker");
    const victim = workers.find((w) => running.workerId!.startsWith(`${w.hostname}:`));
    expect(victim, `a worker container for ${running.workerId}`).toBeDefined();
    await run("docker", ["kill", "--signal", "KILL", victim!.id]);
    releaseHeld();

    const pull = await until(
      async () => world.fake.state.pullRequests.find((p) => p.head.startsWith("planwright/issue-2-")),
      "issue #2's pull request from the surviving worker",
      180_000,
      logs,
    );
    expect(pull.body).toMatch(/✅ `npm test` passed/);
    const survivor = workers.find((w) => w.id !== victim!.id)!;
    expect(await project.exec(survivor.id, ["ls", "/data/workspaces/mirrors"])).not.toBe("");
    // One run, one tracking comment, edited by both workers.
    expect(world.fake.commentsOn("acme", "widgets", 2).filter((c) => c.body.includes("<!-- planwright:run"))).toHaveLength(1);
  });

  it("stops on SIGTERM: the server and the worker left exit 0 within the grace period", async () => {
    await project.compose(["stop", "-t", "40"], 120_000);
    const server = (await project.containers("server"))[0]!;
    const workers = (await project.containers("worker")).filter((w) => w.exitCode !== 137);
    expect(server.status).toBe("exited");
    expect(server.exitCode).toBe(0);
    expect(workers).toHaveLength(1);
    expect(workers[0]!.exitCode).toBe(0);
  });
});
