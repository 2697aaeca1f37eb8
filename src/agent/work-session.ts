import type { AgentDefinition } from "../agents/definition.js";
import type { NetworkPolicy } from "../config/repo-config.js";
import { parseReport } from "../report/parse-report.js";
import type { AgentReport } from "../report/parse-report.js";
import { toVerification } from "../report/run-summary.js";
import type { Verification } from "../report/run-summary.js";
import type { Sandbox, SandboxPaths } from "../sandbox/sandbox.js";
import { describeOutcome, runProjectCommand } from "../verify/run-project-command.js";
import { recordSetupArtifacts } from "../workspace/setup-artifacts.js";
import type { SetupArtifacts } from "../workspace/setup-artifacts.js";
import type { CommandOutcome } from "../verify/run-project-command.js";
import { runAgent } from "./agent-loop.js";
import type { AgentEvent, AgentRunResult } from "./agent-loop.js";
import type { ModelClient } from "./model-client.js";
import { addUsage, EMPTY_USAGE } from "./pricing.js";
import { buildPrompt } from "./prompt.js";
import type { AgentTask } from "./task.js";
import { createTools } from "./tools/registry.js";
import type { Transcript } from "./transcript.js";

export interface WorkSessionLimits {
  turns: number;
  costUsd: number;
  minutes: number;
  /** Times failing tests go back to the agent. */
  fixRounds: number;
}

export interface WorkSessionInput {
  definition: AgentDefinition;
  worktree: string;
  task: AgentTask;
  docs: { plan: string; intent: string; required: boolean };
  /** `network`: which commands may reach it (the repository's `commands.network`); default all. */
  commands: { setup: string | null; test: string | null; testTimeoutMs: number; network?: NetworkPolicy };
  limits: WorkSessionLimits;
  model: string;
  fallbackModel?: string;
  client: ModelClient;
  sandbox: Sandbox;
  transcript?: Transcript;
  signal?: AbortSignal;
  /** HOME shared by the run's commands, so dependency caches survive between them. */
  homeDir?: string;
  /** The checkout's git metadata, shown to the agent's and planwright's commands (`Checkout.sandboxPaths`). */
  sandboxPaths?: SandboxPaths;
  /** How git on the host must address the checkout (`Checkout.gitEnv`). */
  gitEnv?: Record<string, string>;
  onEvent?: (event: WorkSessionEvent) => void;
}

export type WorkSessionEvent =
  | AgentEvent
  | { type: "phase"; phase: "setup" | "agent" | "verify" | "fix"; round?: number }
  | { type: "command"; label: "setup" | "test"; outcome: CommandOutcome };

export interface WorkSessionResult {
  report: AgentReport;
  /** The last agent round's stop; figures are summed over every round. */
  agent: AgentRunResult;
  setup: CommandOutcome | null;
  /** planwright's own verdict, or why there is none: render this one. */
  verificationStatus: Verification;
  /**
   * The last test run's outcome; null when none ran, whatever the reason. After
   * an early stop in a fix round it predates the agent's final changes.
   */
  verification: CommandOutcome | null;
  fixRoundsUsed: number;
  missingDocs: string[];
  /** What setup changed; left out of the commit unless the agent changed it further. */
  setupArtifacts: SetupArtifacts;
}

/** The plan or intent is missing and the repository says that must stop the run. */
export class MissingDocumentsError extends Error {
  override name = "MissingDocumentsError";
  constructor(readonly missing: string[]) {
    super(
      `required document${missing.length > 1 ? "s" : ""} missing: ${missing.join(", ")}. ` +
        "Add them to the default branch, or set `docs.required: false` in .github/planwright.yml.",
    );
  }
}

/**
 * One piece of work end to end on a checkout: setup, the agent, then
 * planwright's own test run; failing tests go back to the agent for a bounded
 * number of rounds, in the same conversation so it keeps what it learned.
 */
export async function runWorkSession(input: WorkSessionInput): Promise<WorkSessionResult> {
  const started = Date.now();
  const emit = input.onEvent ?? (() => undefined);
  let setup: CommandOutcome | null = null;
  let setupArtifacts: SetupArtifacts = new Map();
  const policy = input.commands.network ?? "all";
  const runCommand = (command: string, network: boolean): Promise<CommandOutcome> =>
    runProjectCommand({ sandbox: input.sandbox, worktree: input.worktree, command, timeoutMs: input.commands.testTimeoutMs, network, ...optional(input) });
  if (input.commands.setup) {
    emit({ type: "phase", phase: "setup" });
    setup = await runCommand(input.commands.setup, policy !== "none");
    emit({ type: "command", label: "setup", outcome: setup });
    setupArtifacts = await recordSetupArtifacts(input.worktree, input.gitEnv);
  }

  const prompt = await buildPrompt({
    definition: input.definition,
    worktree: input.worktree,
    task: input.task,
    docs: { plan: input.docs.plan, intent: input.docs.intent },
    testCommand: input.commands.test,
    setupCommand: input.commands.setup,
    agentNetwork: policy === "all",
    limits: { turns: input.limits.turns, minutes: input.limits.minutes },
  });
  if (input.docs.required && prompt.missingDocs.length > 0) throw new MissingDocumentsError(prompt.missingDocs);

  const tools = createTools(input.definition.tools);
  let message = setup && !setup.passed ? `${setupFailureNote(setup)}\n\n${prompt.firstMessage}` : prompt.firstMessage;
  let history: AgentRunResult["messages"] | undefined;
  let totals: AgentRunResult | undefined;
  let verification: CommandOutcome | null = null;
  let fixRoundsUsed = 0;

  for (let round = 0; ; round++) {
    emit(round === 0 ? { type: "phase", phase: "agent" } : { type: "phase", phase: "fix", round });
    const spent = totals ?? { turns: 0, costUsd: 0 };
    const result = await runAgent({
      client: input.client,
      model: totals?.model ?? input.model,
      ...(input.fallbackModel ? { fallbackModel: input.fallbackModel } : {}),
      system: prompt.system,
      firstMessage: message,
      ...(history ? { history } : {}),
      tools,
      toolContext: {
        worktree: input.worktree,
        sandbox: input.sandbox,
        bashDefaultTimeoutMs: 2 * 60_000,
        bashMaxTimeoutMs: Math.max(10 * 60_000, input.commands.testTimeoutMs),
        ...(input.homeDir ? { homeDir: input.homeDir } : {}),
        ...(input.sandboxPaths ? { sandboxPaths: input.sandboxPaths } : {}),
        network: policy === "all",
      },
      limits: {
        maxTurns: Math.max(0, input.limits.turns - spent.turns),
        maxCostUsd: Math.max(0, input.limits.costUsd - spent.costUsd),
        maxWallMs: Math.max(1, input.limits.minutes * 60_000 - (Date.now() - started)),
      },
      ...(input.signal ? { signal: input.signal } : {}),
      ...(input.transcript ? { transcript: input.transcript } : {}),
      onEvent: emit,
    });
    totals = totals ? combine(totals, result) : result;
    history = result.messages;

    // Someone asked to stop: run nothing more.
    if (result.stopReason === "cancelled") break;
    if (!input.commands.test) break;
    emit({ type: "phase", phase: "verify" });
    verification = await runCommand(input.commands.test, policy === "all");
    emit({ type: "command", label: "test", outcome: verification });
    // The model is gone, so nobody can fix what fails; the tests still say what the partial work is worth.
    if (result.stopReason === "model_error") break;
    if (verification.passed || verification.cancelled) break;
    if (result.stopReason !== "completed" || round >= input.limits.fixRounds) break;
    fixRoundsUsed = round + 1;
    message = fixRequest(verification, fixRoundsUsed, input.limits.fixRounds);
  }

  const agent = totals!;
  return {
    report: parseReport(agent.finalText),
    agent,
    setup,
    verificationStatus: input.commands.test ? toVerification(verification, agent.stopReason) : { kind: "no_test_command" },
    verification,
    fixRoundsUsed,
    missingDocs: prompt.missingDocs,
    setupArtifacts,
  };
}

function optional(input: WorkSessionInput): { signal?: AbortSignal; homeDir?: string; sandboxPaths?: SandboxPaths } {
  return {
    ...(input.signal ? { signal: input.signal } : {}),
    ...(input.homeDir ? { homeDir: input.homeDir } : {}),
    ...(input.sandboxPaths ? { sandboxPaths: input.sandboxPaths } : {}),
  };
}

function combine(before: AgentRunResult, after: AgentRunResult): AgentRunResult {
  return {
    ...after,
    finalText: after.finalText || before.finalText,
    turns: before.turns + after.turns,
    usage: addUsage(before.usage ?? EMPTY_USAGE, after.usage),
    costUsd: before.costUsd + after.costUsd,
    costIsEstimate: before.costIsEstimate || after.costIsEstimate,
    durationMs: before.durationMs + after.durationMs,
  };
}

function setupFailureNote(setup: CommandOutcome): string {
  return [
    `Note from planwright: the setup command \`${setup.command}\` ${describeOutcome(setup)}. Its output ended with:`,
    "```",
    setup.outputTail,
    "```",
  ].join("\n");
}

function fixRequest(verification: CommandOutcome, round: number, rounds: number): string {
  return [
    `planwright ran \`${verification.command}\` itself and it ${describeOutcome(verification)}. ` +
      `This is fix round ${round} of ${rounds}. The end of the output:`,
    "```",
    verification.outputTail,
    "```",
    "Find the cause, fix it (the code, or the test if the test is wrong), run the tests again, " +
      "then finish with an updated report in the same format.",
  ].join("\n");
}
