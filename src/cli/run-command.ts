import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { transcriptsDir } from "../pipeline/prune-transcripts.js";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { createAnthropicModelClient } from "../agent/model-client.js";
import type { ModelClient } from "../agent/model-client.js";
import { createJsonlTranscript } from "../agent/transcript.js";
import { MissingDocumentsError, runWorkSession } from "../agent/work-session.js";
import type { WorkSessionEvent } from "../agent/work-session.js";
import { loadBundledAgents } from "../agents/bundled.js";
import { AgentRegistry } from "../agents/registry.js";
import { loadEnv } from "../config/env.js";
import { parseRepoConfig, REPO_CONFIG_PATH } from "../config/repo-config.js";
import { ConfigurationError } from "../errors.js";
import { renderReport } from "../report/render-report.js";
import { formatTokens, renderFigures, renderVerification } from "../report/run-summary.js";
import { createSandbox } from "../sandbox/create-sandbox.js";
import { createRedactor } from "../security/redact-secrets.js";
import { knownSecretsOf } from "../security/known-secrets.js";
import { describeOutcome } from "../verify/run-project-command.js";
import { resolveCommands } from "../workspace/detect-commands.js";
import { localRepositoryFiles } from "../workspace/local-repository-files.js";
import { branchName, commitAll, createLocalWorktree } from "../workspace/local-worktree.js";
import { untouchedArtifacts } from "../workspace/setup-artifacts.js";
import { readIssueFile } from "./read-issue-file.js";
import type { IssueText } from "./read-issue-file.js";
import { appSecretPaths } from "../sandbox/app-secret-paths.js";

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Lets tests point the agent at a scripted model without an API key dance. */
  modelClient?: ModelClient;
  signal?: AbortSignal;
}

export const RUN_USAGE = `Usage: planwright run --repo PATH (--issue FILE | --title TEXT [--body TEXT]) [options]

Runs the engineer agent on a local git checkout, on a new branch, then runs the
repository's tests itself and prints the agent's report. The commits stay on the
branch; your working tree is not touched.

Options:
  --repo PATH           the git repository to work on (default: current directory)
  --issue FILE          the issue: markdown with a "# Title" line, or GitHub issue JSON
  --title TEXT          the issue title (instead of --issue)
  --body TEXT           the issue body
  --instructions TEXT   extra instructions, as a maintainer's "/backend ..." would give
  --agent NAME          agent definition to run (default: backend-engineer)
  --model NAME          model (default: config, then PLANWRIGHT_MODEL)
  --branch NAME         branch to create (default: planwright/<slug of the title>)
  --help                show this text

Exit status: 0 when the agent finished and planwright's test run passed (or there is
no test command), 1 when it did not, 2 for a usage or configuration error.`;

/** `planwright run`: the same agent pipeline as the app, on a local checkout, no GitHub. */
export async function runCommand(argv: string[], io: CliIO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        repo: { type: "string" },
        issue: { type: "string" },
        title: { type: "string" },
        body: { type: "string" },
        instructions: { type: "string" },
        agent: { type: "string" },
        model: { type: "string" },
        branch: { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
    }));
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${RUN_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(`${RUN_USAGE}\n`);
    return 0;
  }

  try {
    return await run(values, io);
  } catch (error) {
    if (error instanceof ConfigurationError || error instanceof MissingDocumentsError) {
      io.stderr(`planwright: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

interface RunValues {
  repo?: string | undefined;
  issue?: string | undefined;
  title?: string | undefined;
  body?: string | undefined;
  instructions?: string | undefined;
  agent?: string | undefined;
  model?: string | undefined;
  branch?: string | undefined;
}

async function run(values: RunValues, io: CliIO): Promise<number> {
  const env = loadEnv(io.env, io.cwd);
  const apiKey = io.env.ANTHROPIC_API_KEY?.trim();
  if (!io.modelClient && !apiKey) {
    throw new ConfigurationError(
      "ANTHROPIC_API_KEY is not set. Export your Anthropic API key (and ANTHROPIC_BASE_URL for a proxy), then run again.",
    );
  }
  const issue = await issueFrom(values);
  const repo = path.resolve(io.cwd, values.repo ?? ".");
  const files = localRepositoryFiles(repo);

  const rawConfig = await files.readFile(REPO_CONFIG_PATH);
  let parsedYaml: unknown = null;
  try {
    parsedYaml = rawConfig === undefined ? null : parseYaml(rawConfig);
  } catch (error) {
    throw new ConfigurationError(`${REPO_CONFIG_PATH} is not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  const parsed = parseRepoConfig(parsedYaml);
  if (!parsed.ok) throw new ConfigurationError(`${REPO_CONFIG_PATH} in ${repo} has problems:`, parsed.problems);
  const config = parsed.config;

  const { registry, problems } = await AgentRegistry.forRepository(files, await loadBundledAgents());
  for (const problem of problems) io.stderr(`warning: ${problem}\n`);
  const agentName = values.agent ?? "backend-engineer";
  const definition = registry.get(agentName);
  if (!definition) {
    throw new ConfigurationError(`no agent named ${agentName}; known agents: ${registry.list().map((a) => a.name).join(", ")}`);
  }
  const model = values.model ?? config.agents[agentName]?.model ?? config.model ?? definition.model ?? env.model;

  const runId = randomUUID();
  const branch = values.branch ?? branchName(config.pull_request.branch_prefix, issue.number, issue.title);
  const worktree = await createLocalWorktree(repo, branch, path.join(env.dataDir, "worktrees"));
  const home = await mkdtemp(path.join(os.tmpdir(), "planwright-home-"));
  const redact = createRedactor(knownSecretsOf(io.env));
  const transcriptPath = path.join(transcriptsDir(env.dataDir), `${runId}.jsonl`);
  const transcript = createJsonlTranscript(transcriptPath, runId, redact);
  const progress = (line: string) => io.stderr(`${redact(line)}\n`);

  try {
    const sandbox = await createSandbox(env.sandbox, {
      hiddenPaths: await appSecretPaths({ cwd: io.cwd, dataDir: env.dataDir, env: io.env }),
      log: { warn: (message: string) => progress(`warning: ${message}`) },
    });
    const commands = await resolveCommands(config.commands, worktree.path);
    progress(`planwright run ${runId.slice(0, 8)} · ${definition.name} · ${model} · branch ${branch}`);
    progress(`test command: ${commands.test ?? "none detected"}${commands.setup ? ` · setup: ${commands.setup}` : ""}`);

    const client =
      io.modelClient ??
      createAnthropicModelClient({ apiKey: apiKey!, ...(env.anthropicBaseUrl ? { baseURL: env.anthropicBaseUrl } : {}) });
    const result = await runWorkSession({
      definition,
      worktree: worktree.path,
      gitEnv: worktree.gitEnv,
      task: {
        kind: "implement",
        number: issue.number,
        title: issue.title,
        body: issue.body,
        comments: issue.comments,
        instructions: values.instructions ?? "",
        requester: io.env.USER ?? "you",
      },
      docs: config.docs,
      commands: {
        setup: commands.setup,
        test: commands.test,
        testTimeoutMs: config.commands.test_timeout * 1000,
        network: config.commands.network,
      },
      limits: {
        turns: config.limits.turns,
        costUsd: config.limits.cost_usd,
        minutes: config.limits.minutes,
        fixRounds: config.limits.fix_rounds,
      },
      model,
      ...(env.fallbackModel ? { fallbackModel: env.fallbackModel } : {}),
      client,
      sandbox,
      transcript,
      homeDir: home,
      ...(io.signal ? { signal: io.signal } : {}),
      onEvent: (event) => {
        const line = describeEvent(event);
        if (line) progress(line);
      },
    });

    const subject = issue.number !== null ? `Implement #${issue.number}: ${issue.title}` : `Implement: ${issue.title}`;
    const commit = await commitAll(
      worktree,
      `${subject}\n\nWritten by planwright (${definition.name}, ${result.agent.model}).`,
      { name: "planwright", email: "planwright@users.noreply.github.com" },
      await untouchedArtifacts(worktree.path, result.setupArtifacts),
    );

    io.stdout(
      [
        renderReport(result.report),
        "",
        renderVerification(result.verificationStatus, result.fixRoundsUsed),
        "",
        `---`,
        `${renderFigures(result.agent)}`,
        `stop: ${result.agent.stopDetail}`,
        commit ? `commit ${commit.slice(0, 12)} on branch ${branch}` : `no changes were made; branch ${branch} points at ${worktree.baseCommit.slice(0, 12)}`,
        `transcript: ${transcriptPath}`,
        "",
      ].join("\n"),
    );
    const verified = result.verification === null || result.verification.passed;
    return result.agent.stopReason === "completed" && verified ? 0 : 1;
  } finally {
    await transcript.close();
    await worktree.remove();
    await rm(home, { recursive: true, force: true });
  }
}

async function issueFrom(values: RunValues): Promise<IssueText> {
  if (values.issue && values.title) throw new ConfigurationError("pass either --issue FILE or --title/--body, not both.");
  if (values.issue) return readIssueFile(values.issue);
  if (values.title?.trim()) return { number: null, title: values.title.trim(), body: values.body ?? "", comments: [] };
  throw new ConfigurationError(`say what to do: --issue FILE, or --title TEXT [--body TEXT].\n\n${RUN_USAGE}`);
}

function describeEvent(event: WorkSessionEvent): string | undefined {
  switch (event.type) {
    case "phase":
      return event.phase === "fix" ? `[fix] round ${event.round}: tests failed, back to the agent` : `[${event.phase}]`;
    case "command":
      return `[${event.label}] \`${event.outcome.command}\` ${describeOutcome(event.outcome)}`;
    case "turn":
      return undefined;
    case "tool":
      return `[agent] turn ${event.turn} · ${event.name} ${event.summary}`;
    case "usage": {
      const u = event.usage;
      return `[agent] turn ${event.turn} · ${formatTokens(u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens)} in / ${formatTokens(u.outputTokens)} out · $${event.costUsd.toFixed(2)}`;
    }
    case "fallback":
      return `[agent] ${event.from} unavailable (${event.reason}); switching to ${event.to}`;
  }
}
