/**
 * Webhook intake latency under load. The real planwright server process
 * (against the end-to-end suite's fake GitHub, with a scripted model that
 * takes 2 s per turn, so its workers are busy throughout) and a bare Probot
 * app that does nothing (bench/lib/bare-probot-app.mjs, same Probot, same
 * secret) get the same signed webhooks at increasing rates: mostly ordinary
 * issue comments, and every 20th a `/backend` comment on a new issue (a
 * trigger for planwright: permission check, config read, enqueue, then 👀 and
 * a tracking comment, which Probot's write throttle spaces ~1 s apart per
 * installation; the answer waits for them at most 5 s). Each request's
 * latency is measured by the client, from sending to the end of the answer.
 *
 * Each delivery goes to planwright and to the bare app at the same moment
 * (which of the two is sent first alternates), so both answer under the same
 * machine load, second by second; every rate step is repeated ROUNDS times and
 * the ratio reported per round and pooled.
 *
 * Two planwright layouts, one after the other (bare Probot is measured again
 * alongside each): "single", one process running webhooks and 2 workers on
 * the SQLite queue; "split", a webhook-only server (PLANWRIGHT_CONCURRENCY=0,
 * REDIS_URL) plus one `planwright worker` process running 2 workers. The split
 * layout uses Redis (REDIS_URL, default redis://127.0.0.1:6379) under a key
 * prefix of its own (PLANWRIGHT_REDIS_PREFIX), deleted after its run.
 *
 *   npx tsx bench/webhook-intake.ts   (RATES=5,20,50 SECONDS=10 ROUNDS=3 LAYOUTS=single,split by default)
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { issueCommentPayload, issueLabeledPayload, sendWebhook, startFakeGitHub } from "../test/helpers/fake-github-server.js";
import type { FakeGitHub } from "../test/helpers/fake-github-server.js";
import { git, makeRepo } from "../test/helpers/git-repo.js";
import { startPlanwright, waitFor } from "../test/helpers/planwright-process.js";
import { TEST_PRIVATE_KEY } from "../test/helpers/probot.js";
import { SAMPLE_REPORT, startScriptedModel, textReply, toolUseReply } from "../test/helpers/scripted-model.js";
import { signWebhook } from "../test/helpers/sign.js";
import { Redis } from "ioredis";
import { redisQueueKeyPattern } from "../src/queue/redis-keys.js";
import { startBareProbot } from "./lib/bare-probot.js";
import { startPlanwrightWorker } from "../test/helpers/planwright-worker.js";
import type { PlanwrightWorker } from "../test/helpers/planwright-worker.js";

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SECRET = "bench-secret-value";
const RATES = (process.env.RATES ?? "5,20,50").split(",").map(Number);
const SECONDS = Number(process.env.SECONDS ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const TRIGGER_EVERY = 20;
const MODEL_TURN_MS = 2000;

const FIXTURE: Record<string, string> = {
  "package.json": JSON.stringify({ name: "fixture", version: "1.0.0", scripts: { test: "node test.js" } }),
  "test.js": 'require("./health.js");\nconsole.log("ok");\n',
  "health.js": "exports.ok = false;\n",
  "docs/plans/backend-plan.md": "# Plan\n",
  "docs/intent/product-intent.md": "# Intent\n",
  ...Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`src/module-${i}.js`, `exports.value = ${i};\n`])),
};

const CHATTER = ["Thanks, this looks good to me.", "I can reproduce this on main.", "+1, we hit the same thing in production.", "Could you add the stack trace?", "Closing in favour of the newer issue?"];

interface Delivery {
  trigger: boolean;
  body: string;
  signature: string;
}

interface Sample {
  trigger: boolean;
  ms: number;
  status: number;
}

/** The deliveries of one rate step, built (and recorded in the fake) before any is sent. */
async function deliveries(fake: FakeGitHub, count: number, chatterIssue: number): Promise<Delivery[]> {
  const out: Delivery[] = [];
  for (let i = 0; i < count; i++) {
    const trigger = i % TRIGGER_EVERY === TRIGGER_EVERY / 2;
    const issueNumber = trigger
      ? fake.addIssue({ owner: "acme", repo: "fixture", title: `Make health ok (${randomUUID().slice(0, 6)})`, body: "health.js must export ok = true", user: "alice" }).number
      : chatterIssue;
    const payload = await issueCommentPayload(fake, {
      owner: "acme",
      repo: "fixture",
      issueNumber,
      body: trigger ? "/backend make health.js export ok = true" : CHATTER[i % CHATTER.length]!,
      sender: trigger ? "alice" : i % 2 ? "bob" : "carol",
    });
    const body = JSON.stringify(payload);
    out.push({ trigger, body, signature: signWebhook(SECRET, body) });
  }
  return out;
}

async function deliver(url: string, d: Delivery): Promise<Sample> {
  const started = performance.now();
  const res = await fetch(url, {
    method: "POST",
    body: d.body,
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/bench",
      "x-github-event": "issue_comment",
      "x-github-delivery": randomUUID(),
      "x-github-hook-installation-target-type": "integration",
      "x-hub-signature-256": d.signature,
    },
  });
  await res.arrayBuffer();
  return { trigger: d.trigger, ms: performance.now() - started, status: res.status };
}

/** Open loop: request i leaves at i/rate seconds whether or not earlier ones were answered. */
async function load(url: string, list: Delivery[], rate: number): Promise<Sample[]> {
  const t0 = performance.now();
  const pending: Promise<Sample>[] = [];
  for (let i = 0; i < list.length; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(deliver(url, list[i]!));
  }
  return Promise.all(pending);
}

/**
 * Open loop, both targets at once: delivery i leaves for planwright and for the
 * bare app at i/rate seconds, the order alternating, so neither is measured on
 * a quieter second than the other.
 */
async function loadPaired(urls: { planwright: string; bare: string }, list: Delivery[], rate: number): Promise<{ planwright: Sample[]; bare: Sample[] }> {
  const t0 = performance.now();
  const pw: Promise<Sample>[] = [];
  const ba: Promise<Sample>[] = [];
  for (let i = 0; i < list.length; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (i % 2 === 0) {
      pw.push(deliver(urls.planwright, list[i]!));
      ba.push(deliver(urls.bare, list[i]!));
    } else {
      ba.push(deliver(urls.bare, list[i]!));
      pw.push(deliver(urls.planwright, list[i]!));
    }
  }
  return { planwright: await Promise.all(pw), bare: await Promise.all(ba) };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function fmt(ms: number): string {
  return Number.isNaN(ms) ? "–" : ms >= 100 ? `${Math.round(ms)}` : ms.toFixed(1);
}

interface Step {
  rate: number;
  round: number;
  planwright: Sample[];
  bare: Sample[];
}

interface Phase {
  layout: Layout;
  steps: Step[];
  jobsStarted: number;
}

type Layout = "single" | "split";

const LAYOUTS = (process.env.LAYOUTS ?? "single,split").split(",") as Layout[];
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const LAYOUT_NAMES: Record<Layout, string> = {
  single: "planwright single process (webhooks + 2 in-process workers, SQLite queue)",
  split: "planwright split (webhook-only server, PLANWRIGHT_CONCURRENCY=0 + one `planwright worker` process with 2 workers, Redis queue)",
};

/** Both split-layout processes get it through PLANWRIGHT_REDIS_PREFIX, so the run touches no one else's keys. */
const REDIS_PREFIX = `planwright-bench-${randomUUID().slice(0, 8)}`;

async function redisKeys(redis: Redis): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", redisQueueKeyPattern(REDIS_PREFIX), "COUNT", 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== "0");
  return found;
}

async function main(): Promise<void> {
  for (const l of LAYOUTS) if (l !== "single" && l !== "split") throw new Error(`LAYOUTS: unknown layout "${l}" (single, split)`);
  await exec("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: ROOT });
  const gitRoot = await mkdtemp(path.join(os.tmpdir(), "pw-bench-git-"));
  const dirs: string[] = [gitRoot];
  const work = await makeRepo(FIXTURE);
  dirs.push(work);
  const fake = await startFakeGitHub({ git: { root: gitRoot } });
  const bareRepo = path.join(gitRoot, "acme", "fixture.git");
  await mkdir(path.dirname(bareRepo), { recursive: true });
  await git(work, "clone", "-q", "--bare", work, bareRepo);
  fake.repos.add({ owner: "acme", name: "fixture", ownerType: "Organization", collaborators: { alice: "write" } });
  const chatter = fake.addIssue({ owner: "acme", repo: "fixture", title: "Flaky login on Safari", body: "It logs me out.", user: "bob" });

  // A slow model: every turn takes 2 s. One edit, then the report.
  const model = await startScriptedModel((request) => ({
    ...(request.messages.length === 1
      ? toolUseReply([{ name: "Edit", input: { file_path: "health.js", old_string: "false", new_string: "true" } }])
      : textReply(SAMPLE_REPORT)),
    delayMs: MODEL_TURN_MS,
  }));
  const env = {
    APP_ID: "123",
    PRIVATE_KEY: TEST_PRIVATE_KEY,
    WEBHOOK_SECRET: SECRET,
    GHE_HOST: fake.host,
    GHE_PROTOCOL: "http",
  };
  const modelEnv = { ANTHROPIC_API_KEY: "sk-ant-bench-0123456789", ANTHROPIC_BASE_URL: model.url };
  const bare = await startBareProbot(env);
  const redis = LAYOUTS.includes("split") ? new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true }) : undefined;

  const phases: Phase[] = [];
  try {
    console.log(
      `webhook intake latency · ${LAYOUTS.join(" then ")} · ${RATES.join("/")} req/s × ${SECONDS} s × ${ROUNDS} rounds, paired sends, 1 in ${TRIGGER_EVERY} a /backend trigger · model turns ${MODEL_TURN_MS} ms, 2 workers · ` +
        `${new Date().toISOString().slice(0, 10)} · ${os.cpus().length} CPUs · node ${process.version} · load ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`,
    );
    await redis?.connect();
    // Warm the bare app up once (JIT, connections).
    const warmBare = (await deliveries(fake, 30, chatter.number)).filter((d) => !d.trigger);
    await load(bare.webhookUrl, warmBare, 20);

    // One layout at a time, so the other's workers are not running meanwhile; bare Probot is measured again in each.
    for (const layout of LAYOUTS) {
      const data = await mkdtemp(path.join(os.tmpdir(), "pw-bench-data-"));
      dirs.push(data);
      const server = await startPlanwright({
        ...env,
        ...modelEnv,
        PLANWRIGHT_DATA_DIR: data,
        PLANWRIGHT_CONCURRENCY: layout === "single" ? "2" : "0",
        ...(layout === "split" ? { REDIS_URL, PLANWRIGHT_REDIS_PREFIX: REDIS_PREFIX } : {}),
      });
      let worker: PlanwrightWorker | undefined;
      try {
        if (layout === "split") {
          const workerData = await mkdtemp(path.join(os.tmpdir(), "pw-bench-worker-data-"));
          dirs.push(workerData);
          worker = await startPlanwrightWorker({ ...env, ...modelEnv, PLANWRIGHT_DATA_DIR: workerData, PLANWRIGHT_CONCURRENCY: "2", REDIS_URL, PLANWRIGHT_REDIS_PREFIX: REDIS_PREFIX });
        }
        const firstTurns = () => model.requests.filter((r) => r.messages.length === 1).length;
        const turnsBefore = model.requests.length;
        const jobsBefore = firstTurns();
        // Warm the server up, then give the workers two jobs before measuring.
        const warm = (await deliveries(fake, 30, chatter.number)).filter((d) => !d.trigger);
        await load(server.webhookUrl, warm, 20);
        for (let i = 0; i < 2; i++) {
          const issue = fake.addIssue({ owner: "acme", repo: "fixture", title: `Warm-up ${layout} ${i}`, body: "health.js must export ok = true", user: "alice" });
          const payload = await issueLabeledPayload(fake, { owner: "acme", repo: "fixture", issueNumber: issue.number, label: "backend", sender: "alice" });
          await sendWebhook({ url: server.webhookUrl, secret: SECRET, event: "issues", payload });
        }
        await waitFor(
          () => (model.requests.length >= turnsBefore + 2 ? true : undefined),
          `both ${layout} workers to reach the model${worker ? `\n--- worker output ---\n${worker.output()}` : ""}`,
          60_000,
          server,
        );

        const steps: Step[] = [];
        for (let round = 1; round <= ROUNDS; round++) {
          for (const rate of RATES) {
            const list = await deliveries(fake, rate * SECONDS, chatter.number);
            const { planwright, bare: baseline } = await loadPaired({ planwright: server.webhookUrl, bare: bare.webhookUrl }, list, rate);
            steps.push({ rate, round, planwright, bare: baseline });
            const bad = [...planwright, ...baseline].filter((s) => s.status >= 300);
            if (bad.length > 0) throw new Error(`${bad.length} deliveries at ${rate} req/s (${layout}) were answered with ${[...new Set(bad.map((s) => s.status))].join(", ")}`);
          }
        }
        phases.push({ layout, steps, jobsStarted: firstTurns() - jobsBefore });
      } finally {
        await worker?.stop();
        await server.stop();
      }
      if (redis && layout === "split") {
        const keys = await redisKeys(redis);
        if (keys.length > 0) await redis.del(...keys);
      }
    }
  } finally {
    redis?.disconnect();
    await bare.stop();
    await model.close();
    await fake.close();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }

  const comments = (samples: Sample[]) => samples.filter((s) => !s.trigger).map((s) => s.ms);
  for (const { layout, steps, jobsStarted } of phases) {
    console.log("");
    console.log(`${LAYOUT_NAMES[layout]}; jobs that reached the model while measured: ${jobsStarted}`);
    console.log(`                         |  planwright ${layout.padEnd(6)}  |    bare Probot      |  planwright / bare`);
    console.log(" rate    kind        n   |    p50 ms   p99 ms  |    p50 ms   p99 ms  |    p50      p99");
    for (const rate of RATES) {
      const atRate = steps.filter((s) => s.rate === rate);
      for (const trigger of [false, true]) {
        const pw = atRate.flatMap((s) => s.planwright).filter((s) => s.trigger === trigger).map((s) => s.ms);
        const ba = atRate.flatMap((s) => s.bare).filter((s) => s.trigger === trigger).map((s) => s.ms);
        const [p50a, p99a, p50b, p99b] = [percentile(pw, 50), percentile(pw, 99), percentile(ba, 50), percentile(ba, 99)];
        console.log(
          ` ${`${rate}/s`.padEnd(7)} ${(trigger ? "trigger" : "comment").padEnd(9)} ${String(pw.length).padStart(4)}   |` +
            ` ${fmt(p50a).padStart(8)} ${fmt(p99a).padStart(8)}  | ${fmt(p50b).padStart(8)} ${fmt(p99b).padStart(8)}  |` +
            ` ${(p50a / p50b).toFixed(2).padStart(6)}x ${(p99a / p99b).toFixed(2).padStart(7)}x`,
        );
      }
    }
  }
  console.log("");
  console.log("non-trigger comments, all rates (target: p99 ≤ 1.5x bare):");
  for (const { layout, steps } of phases) {
    const pw = comments(steps.flatMap((s) => s.planwright));
    const ba = comments(steps.flatMap((s) => s.bare));
    const perRound = Array.from({ length: ROUNDS }, (_, i) => {
      const inRound = steps.filter((s) => s.round === i + 1);
      return percentile(comments(inRound.flatMap((s) => s.planwright)), 99) / percentile(comments(inRound.flatMap((s) => s.bare)), 99);
    });
    console.log(
      `  ${layout.padEnd(6)} p50 ${fmt(percentile(pw, 50))} ms vs bare ${fmt(percentile(ba, 50))} ms → ${(percentile(pw, 50) / percentile(ba, 50)).toFixed(2)}x · ` +
        `p99 ${fmt(percentile(pw, 99))} ms vs bare ${fmt(percentile(ba, 99))} ms → ${(percentile(pw, 99) / percentile(ba, 99)).toFixed(2)}x (n ${pw.length}) · ` +
        `p99 ratio per round ${perRound.map((r) => `${r.toFixed(2)}x`).join(", ")}`,
    );
  }
}

await main();
