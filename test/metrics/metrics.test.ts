import { AnthropicError, RateLimitError } from "@anthropic-ai/sdk";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { ConfigurationError, GitHubAPIError } from "../../src/errors.js";
import { countJobsWithList, createMetrics, createPhaseClock, errorKindOf, jobCounterFor } from "../../src/metrics/metrics.js";
import type { JobCounts } from "../../src/metrics/metrics.js";
import { SqliteJobQueue } from "../../src/queue/sqlite-job-queue.js";
import { makeJobSpec } from "../helpers/job-spec.js";

/** The value of one sample line, e.g. `planwright_tokens_total{model="m",kind="input"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("createMetrics", () => {
  it("records run phases, tokens, cost, webhooks and errors under planwright_* names", async () => {
    const metrics = createMetrics(new Registry(), { defaultMetrics: false });
    metrics.runDuration.observe("agent", 42);
    metrics.runDuration.observe("checkout", 0.5);
    metrics.tokens.addUsage("claude-x", { inputTokens: 100, outputTokens: 20, cacheReadTokens: 900, cacheWriteTokens: 50 });
    metrics.tokens.add("claude-x", "output", 5);
    metrics.costUsd.add("claude-x", 0.25);
    metrics.costUsd.add("claude-x", 0.5);
    metrics.webhookDuration.observe("issues", "enqueued", 0.03);
    metrics.errors.inc("github");
    metrics.errors.inc("github");

    const text = await metrics.registry.metrics();
    expect(sample(text, 'planwright_run_phase_duration_seconds_sum{phase="agent"}')).toBe(42);
    expect(sample(text, 'planwright_run_phase_duration_seconds_bucket{le="60",phase="agent"}')).toBe(1);
    expect(sample(text, 'planwright_run_phase_duration_seconds_bucket{le="30",phase="agent"}')).toBe(0);
    expect(sample(text, 'planwright_run_phase_duration_seconds_count{phase="checkout"}')).toBe(1);
    expect(sample(text, 'planwright_tokens_total{model="claude-x",kind="input"}')).toBe(100);
    expect(sample(text, 'planwright_tokens_total{model="claude-x",kind="output"}')).toBe(25);
    expect(sample(text, 'planwright_tokens_total{model="claude-x",kind="cache_read"}')).toBe(900);
    expect(sample(text, 'planwright_tokens_total{model="claude-x",kind="cache_write"}')).toBe(50);
    expect(sample(text, 'planwright_cost_usd_total{model="claude-x"}')).toBe(0.75);
    expect(sample(text, 'planwright_webhook_duration_seconds_count{event="issues",outcome="enqueued"}')).toBe(1);
    expect(sample(text, 'planwright_webhook_duration_seconds_bucket{le="0.05",event="issues",outcome="enqueued"}')).toBe(1);
    expect(sample(text, 'planwright_errors_total{kind="github"}')).toBe(2);
  });

  it("ignores negative and non-finite figures instead of throwing mid-run", async () => {
    const metrics = createMetrics(new Registry(), { defaultMetrics: false });
    metrics.tokens.add("m", "input", -3);
    metrics.tokens.add("m", "input", Number.NaN);
    metrics.costUsd.add("m", Number.POSITIVE_INFINITY);
    metrics.tokens.add("m", "input", 7);
    const text = await metrics.registry.metrics();
    expect(sample(text, 'planwright_tokens_total{model="m",kind="input"}')).toBe(7);
    expect(text).not.toContain('planwright_cost_usd_total{model="m"}');
  });

  it("times webhooks from delivery to outcome", async () => {
    const metrics = createMetrics(new Registry(), { defaultMetrics: false });
    const end = metrics.webhookDuration.startTimer("issue_comment");
    const seconds = end("refused");
    expect(seconds).toBeGreaterThanOrEqual(0);
    const text = await metrics.registry.metrics();
    expect(sample(text, 'planwright_webhook_duration_seconds_count{event="issue_comment",outcome="refused"}')).toBe(1);
  });

  it("counts jobs by state when scraped, from the function it was given", async () => {
    let counts: JobCounts = { queued: 3, running: 1 };
    const metrics = createMetrics(new Registry(), { defaultMetrics: false, countJobsByState: async () => counts });
    let text = await metrics.registry.metrics();
    expect(sample(text, 'planwright_jobs{state="queued"}')).toBe(3);
    expect(sample(text, 'planwright_jobs{state="running"}')).toBe(1);

    counts = { queued: 0 };
    text = await metrics.registry.metrics();
    expect(sample(text, 'planwright_jobs{state="queued"}')).toBe(0);
    // A state no longer reported is dropped, not left at its old value.
    expect(sample(text, 'planwright_jobs{state="running"}')).toBeUndefined();
  });

  it("keeps serving the other metrics when counting jobs fails, and counts the failure", async () => {
    const metrics = createMetrics(new Registry(), {
      defaultMetrics: false,
      countJobsByState: async () => {
        throw new Error("queue is down");
      },
    });
    metrics.costUsd.add("m", 1);
    const text = await metrics.registry.metrics();
    expect(sample(text, 'planwright_cost_usd_total{model="m"}')).toBe(1);
    expect(text).not.toMatch(/^planwright_jobs\{/m);
    // prom-client renders every metric at once, so the failure shows from the next scrape on.
    const next = await metrics.registry.metrics();
    expect(sample(next, 'planwright_errors_total{kind="metrics"}')).toBeGreaterThanOrEqual(1);
  });

  it("adds Node's process metrics by default, on its own registry", async () => {
    const a = createMetrics();
    const b = createMetrics();
    expect(a.registry).not.toBe(b.registry);
    const text = await a.registry.metrics();
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).toContain("nodejs_eventloop_lag_seconds");
  });
});

describe("countJobsWithList", () => {
  it("counts the SQLite queue's queued and running jobs", async () => {
    const queue = new SqliteJobQueue({ path: ":memory:" });
    try {
      for (const n of [1, 2, 3]) {
        await queue.enqueue({ spec: makeJobSpec({ issueNumber: n }), deliveryId: `d-${n}`, dedupeKey: `k-${n}` });
      }
      await queue.claim("w1", 60_000);
      const count = countJobsWithList(queue);
      expect(await count()).toEqual({ queued: 2, running: 1 });

      const metrics = createMetrics(new Registry(), { defaultMetrics: false, countJobsByState: count });
      const text = await metrics.registry.metrics();
      expect(sample(text, 'planwright_jobs{state="queued"}')).toBe(2);
      expect(sample(text, 'planwright_jobs{state="running"}')).toBe(1);
    } finally {
      await queue.close();
    }
  });

  it("is offered for any queue that can list, and skipped for one that cannot", async () => {
    const queue = new SqliteJobQueue({ path: ":memory:" });
    try {
      await queue.enqueue({ spec: makeJobSpec(), deliveryId: "d", dedupeKey: "k" });
      expect(await jobCounterFor(queue)?.()).toEqual({ queued: 1, running: 0 });
      expect(jobCounterFor({ get: async () => undefined })).toBeUndefined();
    } finally {
      await queue.close();
    }
  });
});

describe("createPhaseClock", () => {
  it("records each phase's span when the next one starts, and the last one on stop", async () => {
    const metrics = createMetrics(new Registry(), { defaultMetrics: false });
    let t = 0;
    const clock = createPhaseClock(metrics, () => t);
    clock.enter("checkout");
    t = 2_000;
    clock.enter("setup");
    t = 5_000;
    clock.enter("agent");
    t = 65_000;
    clock.enter("verify");
    t = 75_000;
    clock.enter("agent"); // a fix round
    t = 95_000;
    clock.enter("agent"); // repeated announcement: same span
    t = 100_000;
    clock.enter("publish");
    t = 103_000;
    clock.stop();
    clock.stop(); // nothing open: nothing recorded twice

    const text = await metrics.registry.metrics();
    expect(sample(text, 'planwright_run_phase_duration_seconds_sum{phase="checkout"}')).toBe(2);
    expect(sample(text, 'planwright_run_phase_duration_seconds_sum{phase="setup"}')).toBe(3);
    expect(sample(text, 'planwright_run_phase_duration_seconds_sum{phase="agent"}')).toBe(85);
    expect(sample(text, 'planwright_run_phase_duration_seconds_count{phase="agent"}')).toBe(2);
    expect(sample(text, 'planwright_run_phase_duration_seconds_sum{phase="verify"}')).toBe(10);
    expect(sample(text, 'planwright_run_phase_duration_seconds_sum{phase="publish"}')).toBe(3);
    expect(sample(text, 'planwright_run_phase_duration_seconds_count{phase="publish"}')).toBe(1);
  });
});

describe("errorKindOf", () => {
  it("names planwright's and the model SDK's errors, and everything else internal", () => {
    expect(errorKindOf(new GitHubAPIError("nope", 502))).toBe("github");
    expect(errorKindOf(new ConfigurationError("bad"))).toBe("configuration");
    expect(errorKindOf(Object.assign(new Error("x"), { name: "PushRejectedError" }))).toBe("git");
    expect(errorKindOf(Object.assign(new Error("x"), { name: "MissingDocumentsError" }))).toBe("missing_documents");
    expect(errorKindOf(new AnthropicError("overloaded"))).toBe("model");
    expect(errorKindOf(new RateLimitError(429, undefined, "slow down", new Headers()))).toBe("model");
    expect(errorKindOf(new TypeError("boom"))).toBe("internal");
    expect(errorKindOf("a string")).toBe("internal");
  });
});
