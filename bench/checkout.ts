/**
 * Checkout cost, measured side by side in one run on a large synthetic
 * repository served over git smart HTTP with token auth (as GitHub serves it):
 *   clone — a plain `git clone` (the baseline);
 *   cold  — planwright's checkout with an empty workspace root (mirror created);
 *   warm  — planwright's checkout with the mirror cached, one new upstream commit since.
 * The warm and cold times are split into the mirror part (lock, ref listing,
 * fetch, worktree registration) and filling the worktree with files.
 *
 *   npx tsx bench/checkout.ts
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { authorizationConfig } from "../src/workspace/git-credentials.js";
import { MirrorWorkspace } from "../src/workspace/mirror-workspace.js";
import { startGitHttpServer } from "../test/helpers/git-http-server.js";
import { addUpstreamCommit, generateSyntheticRepository } from "./lib/synthetic-repository.js";

const exec = promisify(execFile);
const SHAPE = { files: 30_000, commits: 3_000, editsPerCommit: 5 };
const ROUNDS = 3;
const TOKEN = "ghs_benchmarkTokenbenchmarkToken0000";

async function main(): Promise<void> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), "pw-bench-checkout-"));
  const server = await prepare(scratch);
  try {
    await measure(scratch, server.cloneUrl, server.bare);
  } finally {
    await server.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

async function prepare(scratch: string) {
  const serveRoot = path.join(scratch, "served");
  const bare = path.join(serveRoot, "bench", "large.git");
  await mkdir(bare, { recursive: true });
  await exec("git", ["init", "--quiet", "--bare", bare]);
  await exec("git", ["-C", bare, "symbolic-ref", "HEAD", "refs/heads/main"]);
  const generation = await timed(() => generateSyntheticRepository(bare, SHAPE));
  const { stdout } = await exec("git", ["-C", bare, "count-objects", "-v"]);
  const stats = Object.fromEntries(stdout.trim().split("\n").map((line) => line.split(": ")));
  console.log(
    `repository: ${SHAPE.files} files, ${SHAPE.commits} commits, ${stats["in-pack"]} objects, ` +
      `${(Number(stats["size-pack"]) / 1024).toFixed(1)} MiB packed (generated in ${(generation / 1000).toFixed(1)} s)`,
  );
  const server = await startGitHttpServer({ root: serveRoot, token: TOKEN });
  return { bare, cloneUrl: `${server.url}/bench/large.git`, close: server.close };
}

async function measure(scratch: string, cloneUrl: string, bare: string): Promise<void> {
  const request = (runId: string) => ({
    cloneUrl,
    repoFullName: "bench/large",
    defaultBranch: "main",
    branch: `planwright/bench-${runId}`,
    token: async () => TOKEN,
    runId,
  });
  const warm = new MirrorWorkspace({ root: path.join(scratch, "warm-root") });
  // Creates the warm mirror and brings the served pack into the page cache, untimed.
  await warm.release(await warm.checkout(request("prime")));

  const samples = {
    clone: [] as number[],
    cold: [] as number[],
    coldFill: [] as number[],
    warm: [] as number[],
    warmMirror: [] as number[],
    warmFill: [] as number[],
  };
  for (let round = 1; round <= ROUNDS; round++) {
    const cloneDir = path.join(scratch, `clone-${round}`);
    samples.clone.push(await timed(() => plainClone(cloneUrl, cloneDir)));
    await rm(cloneDir, { recursive: true, force: true });

    const coldRoot = path.join(scratch, `cold-root-${round}`);
    const cold = new MirrorWorkspace({ root: coldRoot });
    const coldCheckout = await cold.checkout(request(`cold-${round}`));
    samples.cold.push(total(coldCheckout.timings));
    samples.coldFill.push(coldCheckout.timings.worktreeMs);
    await cold.release(coldCheckout);
    await rm(coldRoot, { recursive: true, force: true });

    await addUpstreamCommit(bare, round);
    const warmCheckout = await warm.checkout(request(`warm-${round}`));
    samples.warm.push(total(warmCheckout.timings));
    samples.warmMirror.push(warmCheckout.timings.mirrorMs);
    samples.warmFill.push(warmCheckout.timings.worktreeMs);
    await warm.release(warmCheckout);
    console.log(
      `round ${round}: clone ${ms(samples.clone.at(-1))}, cold ${ms(samples.cold.at(-1))}, ` +
        `warm ${ms(samples.warm.at(-1))} (mirror ${ms(samples.warmMirror.at(-1))} + worktree ${ms(samples.warmFill.at(-1))})`,
    );
  }

  const clone = median(samples.clone);
  const coldMedian = median(samples.cold);
  const warmMedian = median(samples.warm);
  const warmMirror = median(samples.warmMirror);
  const warmFill = median(samples.warmFill);
  const coldFill = median(samples.coldFill);
  const cpus = os.cpus();
  const { stdout: gitVersion } = await exec("git", ["--version"]);
  console.log("");
  console.log(`machine: ${cpus.length} × ${cpus[0]?.model ?? "unknown CPU"}, node ${process.version}, ${gitVersion.trim()}, ${os.platform()} ${os.release()}`);
  console.log(`date: ${new Date().toISOString()}, load average ${os.loadavg().map((load) => load.toFixed(2)).join(" ")}`);
  console.log(`medians of ${ROUNDS} rounds:`);
  console.log(`| | median | vs clone |`);
  console.log(`|---|---:|---:|`);
  console.log(`| plain git clone | ${ms(clone)} | 100% |`);
  console.log(`| planwright cold checkout | ${ms(coldMedian)} | ${pct(coldMedian / clone)} |`);
  console.log(`| cold: filling the worktree | ${ms(coldFill)} | ${pct(coldFill / clone)} |`);
  console.log(`| planwright warm checkout | ${ms(warmMedian)} | ${pct(warmMedian / clone)} |`);
  console.log(`| warm: mirror (lock, ref listing, fetch, worktree registration) | ${ms(warmMirror)} | ${pct(warmMirror / clone)} |`);
  console.log(`| warm: filling the worktree (${SHAPE.files} files) | ${ms(warmFill)} | ${pct(warmFill / clone)} |`);
  console.log(`ratios: warm/clone ${(warmMedian / clone).toFixed(3)}, cold/clone ${(coldMedian / clone).toFixed(3)} (target: warm < 0.10)`);
}

/** The baseline: what anyone would run, authenticated the same way. */
async function plainClone(cloneUrl: string, dir: string): Promise<void> {
  const env: Record<string, string | undefined> = { ...process.env, GIT_TERMINAL_PROMPT: "0" };
  const config = authorizationConfig(TOKEN);
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([key, value], index) => {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  await exec("git", ["clone", "--quiet", cloneUrl, dir], { env, maxBuffer: 64 * 1024 * 1024 });
}

function total(timings: { mirrorMs: number; worktreeMs: number }): number {
  return timings.mirrorMs + timings.worktreeMs;
}

async function timed(task: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await task();
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function ms(value: number | undefined): string {
  return value === undefined ? "?" : `${Math.round(value)} ms`;
}

function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

await main();
