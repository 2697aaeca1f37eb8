/**
 * Pipeline overhead: from a signed `issues.labeled` webhook to the pull
 * request on "GitHub", with a model that answers instantly, on a small
 * fixture. The real server process runs against the fake GitHub Enterprise of
 * the end-to-end suite; a plain `git clone` of the same repository over the
 * same HTTP server is timed side by side as the baseline.
 *
 *   npx tsx bench/pipeline-overhead.ts        (TRACE=1 for a request timeline)
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { issueLabeledPayload, sendWebhook, startFakeGitHub } from "../test/helpers/fake-github-server.js";
import { git, makeRepo } from "../test/helpers/git-repo.js";
import { startPlanwright, waitFor } from "../test/helpers/planwright-process.js";
import { TEST_PRIVATE_KEY } from "../test/helpers/probot.js";
import { SAMPLE_REPORT, startScriptedModel, textReply, toolUseReply } from "../test/helpers/scripted-model.js";

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const RUNS = 5;
const SECRET = "bench-secret-value";

const FIXTURE: Record<string, string> = {
  "package.json": JSON.stringify({ name: "fixture", version: "1.0.0", scripts: { test: "node test.js" } }),
  "test.js": 'require("./health.js");\nconsole.log("ok");\n',
  "health.js": "exports.ok = false;\n",
  "docs/plans/backend-plan.md": "# Plan\n",
  "docs/intent/product-intent.md": "# Intent\n",
  ...Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`src/module-${i}.js`, `exports.value = ${i};\n`])),
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  await exec("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: ROOT });
  const gitRoot = await mkdtemp(path.join(os.tmpdir(), "pw-bench-git-"));
  const data = await mkdtemp(path.join(os.tmpdir(), "pw-bench-data-"));
  const scratch = await mkdtemp(path.join(os.tmpdir(), "pw-bench-clones-"));
  const work = await makeRepo(FIXTURE);
  const fake = await startFakeGitHub({ git: { root: gitRoot } });
  const bare = path.join(gitRoot, "acme", "fixture.git");
  await mkdir(path.dirname(bare), { recursive: true });
  await git(work, "clone", "-q", "--bare", work, bare);
  fake.repos.add({ owner: "acme", name: "fixture", ownerType: "Organization", collaborators: { alice: "write" } });

  // Instant model: one edit, then the report. Turn counting is per run (reset by the first request of each).
  const model = await startScriptedModel((request) =>
    request.messages.length === 1
      ? toolUseReply([{ name: "Edit", input: { file_path: "health.js", old_string: "false", new_string: "true" } }])
      : textReply(SAMPLE_REPORT),
  );
  const server = await startPlanwright({
    APP_ID: "123",
    PRIVATE_KEY: TEST_PRIVATE_KEY,
    WEBHOOK_SECRET: SECRET,
    GHE_HOST: fake.host,
    GHE_PROTOCOL: "http",
    ANTHROPIC_API_KEY: "sk-ant-bench-0123456789",
    ANTHROPIC_BASE_URL: model.url,
    PLANWRIGHT_DATA_DIR: data,
    PLANWRIGHT_CONCURRENCY: "1",
  });

  const pipeline: number[] = [];
  const testTime: number[] = [];
  const clones: number[] = [];
  try {
    console.log(`planwright pipeline overhead · ${RUNS} runs · ${new Date().toISOString().slice(0, 10)} · ${os.cpus().length} CPUs · node ${process.version}`);
    for (let run = 1; run <= RUNS; run++) {
      const issue = fake.addIssue({ owner: "acme", repo: "fixture", title: `Make health ok ${run}`, body: "health.js must export ok = true", user: "alice" });
      const payload = await issueLabeledPayload(fake, { owner: "acme", repo: "fixture", issueNumber: issue.number, label: "backend", sender: "alice" });
      const started = performance.now();
      await sendWebhook({ url: server.webhookUrl, secret: SECRET, event: "issues", payload });
      const pull = await waitFor(
        () => fake.state.pullRequests.find((p) => p.body?.includes(`Closes #${issue.number}`)),
        `the pull request for #${issue.number}`,
        120_000,
        server,
      );
      const elapsed = performance.now() - started;
      // TRACE=1 prints what reached "GitHub" during the second (warm) run, with times.
      if (process.env.TRACE && run === 2) {
        const t0 = fake.requests.find((r) => r.at >= Date.now() - elapsed)?.at ?? 0;
        for (const r of fake.requests.filter((r) => r.at >= t0)) console.log(`  +${r.at - t0}ms ${r.method} ${r.path}${r.git ? " (git)" : ""}`);
      }
      // TRACE=1 prints what reached "GitHub" during the second (warm) run, with times.
      if (process.env.TRACE && run === 2) {
        const t0 = fake.requests.find((r) => r.at >= Date.now() - elapsed)?.at ?? 0;
        for (const r of fake.requests.filter((r) => r.at >= t0)) console.log(`  +${r.at - t0}ms ${r.method} ${r.path}${r.git ? " (git)" : ""}`);
      }
      // The repository's own test run is not overhead: planwright reports its duration in the body.
      const seconds = /passed in (\d+)s/.exec(pull.body ?? "");
      const tests = seconds ? Number(seconds[1]) * 1000 : 0;
      pipeline.push(elapsed - tests);
      testTime.push(tests);

      const cloneStarted = performance.now();
      await exec("git", ["clone", "-q", `${fake.url}/acme/fixture.git`, path.join(scratch, `clone-${run}`)], {
        env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
      });
      clones.push(performance.now() - cloneStarted);
      console.log(
        `run ${run}: webhook → PR ${Math.round(elapsed)} ms (tests ${tests} ms, overhead ${Math.round(elapsed - tests)} ms) · git clone ${Math.round(clones.at(-1)!)} ms`,
      );
    }
  } finally {
    await server.stop();
    await model.close();
    await fake.close();
    for (const dir of [gitRoot, data, scratch, work]) await rm(dir, { recursive: true, force: true });
  }
  const overhead = median(pipeline);
  const clone = median(clones);
  console.log("");
  console.log(`median overhead, webhook → PR (tests excluded): ${Math.round(overhead)} ms`);
  console.log(`median plain git clone of the same repository:  ${Math.round(clone)} ms`);
  console.log(`overhead / git clone:                           ${(overhead / clone).toFixed(1)}x`);
  console.log(`first run (cold mirror) overhead:               ${Math.round(pipeline[0]!)} ms`);
}

await main();
