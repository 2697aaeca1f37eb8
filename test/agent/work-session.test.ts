import { realpath, rm } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { createAnthropicModelClient } from "../../src/agent/model-client.js";
import { runWorkSession } from "../../src/agent/work-session.js";
import { PlainSandbox } from "../../src/sandbox/plain-sandbox.js";
import type { CommandRequest, Sandbox } from "../../src/sandbox/sandbox.js";
import { makeRepo } from "../helpers/git-repo.js";
import { errorReply, SAMPLE_REPORT, startScriptedModel, textReply, toolUseReply } from "../helpers/scripted-model.js";
import type { Script, ScriptedModel } from "../helpers/scripted-model.js";
import { testDefinition } from "../helpers/agent-definition.js";

let model: ScriptedModel | undefined;
let dir: string | undefined;
afterEach(async () => {
  await model?.close();
  model = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const DEFINITION = testDefinition();

describe("runWorkSession", () => {
  it("gives setup, the agent's Bash commands and verification the checkout's sandbox paths", async () => {
    model = await startScriptedModel([toolUseReply([{ name: "Bash", input: { command: "git status" } }]), textReply(SAMPLE_REPORT)]);
    // setup's artifacts are read with git.
    dir = await realpath(await makeRepo({ "README.md": "# widgets\n" }, "pw-session-"));
    const plain = new PlainSandbox();
    const requests: CommandRequest[] = [];
    const recording: Sandbox = {
      kind: "none",
      run: (request) => {
        requests.push(request);
        return plain.run(request);
      },
    };
    const sandboxPaths = { readOnly: ["/srv/data/mirrors/acme.git"], writable: ["/srv/data/mirrors/acme.git/worktrees/run-1"] };

    const session = await runWorkSession({
      definition: DEFINITION,
      worktree: dir,
      task: { kind: "implement", number: 1, title: "Do it", body: "", comments: [], instructions: "", requester: "octocat" },
      docs: { plan: "docs/plan.md", intent: "docs/intent.md", required: false },
      commands: { setup: "echo setup", test: "echo test", testTimeoutMs: 10_000 },
      limits: { turns: 5, costUsd: 5, minutes: 5, fixRounds: 0 },
      model: "claude-sonnet-5-5",
      client: createAnthropicModelClient({ apiKey: "sk-ant-test", baseURL: model.url, maxRetries: 0 }),
      sandbox: recording,
      sandboxPaths,
    });

    expect(session.verification?.passed).toBe(true);
    expect(requests.map((request) => request.command)).toEqual(["echo setup", "git status", "echo test"]);
    for (const request of requests) {
      expect(request).toMatchObject({ readOnlyPaths: sandboxPaths.readOnly, writablePaths: sandboxPaths.writable });
    }
  });

  it.each([
    ["all", { setup: true, bash: true, test: true }, false],
    ["setup-only", { setup: true, bash: false, test: false }, true],
    ["none", { setup: false, bash: false, test: false }, true],
  ] as const)("with commands.network %s, gives each command the network it allows and tells the agent", async (policy, allowed, told) => {
    model = await startScriptedModel([toolUseReply([{ name: "Bash", input: { command: "echo agent" } }]), textReply(SAMPLE_REPORT)]);
    dir = await realpath(await makeRepo({ "README.md": "# widgets\n" }, "pw-session-"));
    const plain = new PlainSandbox();
    const network = new Map<string, boolean>();
    const recording: Sandbox = {
      kind: "none",
      run: (request) => {
        // The sandbox's own default is on: only an explicit false cuts.
        network.set(request.command, request.network !== false);
        return plain.run(request);
      },
    };
    await runWorkSession({
      definition: DEFINITION,
      worktree: dir,
      task: { kind: "implement", number: 1, title: "Do it", body: "", comments: [], instructions: "", requester: "octocat" },
      docs: { plan: "docs/plan.md", intent: "docs/intent.md", required: false },
      commands: { setup: "echo setup", test: "echo test", testTimeoutMs: 10_000, network: policy },
      limits: { turns: 5, costUsd: 5, minutes: 5, fixRounds: 0 },
      model: "claude-sonnet-5-5",
      client: createAnthropicModelClient({ apiKey: "sk-ant-test", baseURL: model.url, maxRetries: 0 }),
      sandbox: recording,
    });

    expect(Object.fromEntries(network)).toEqual({ "echo setup": allowed.setup, "echo agent": allowed.bash, "echo test": allowed.test });
    expect(JSON.stringify(model.requests[0]!.system).includes("without network access")).toBe(told);
  });

  async function sessionWith(script: Script, test: string | null, fixRounds: number) {
    model = await startScriptedModel(script);
    dir = await realpath(await makeRepo({ "README.md": "# widgets\n" }, "pw-session-"));
    const plain = new PlainSandbox();
    const commands: string[] = [];
    const recording: Sandbox = {
      kind: "none",
      run: (request) => {
        commands.push(request.command);
        return plain.run(request);
      },
    };
    const session = await runWorkSession({
      definition: DEFINITION,
      worktree: dir,
      task: { kind: "implement", number: 1, title: "Do it", body: "", comments: [], instructions: "", requester: "octocat" },
      docs: { plan: "docs/plan.md", intent: "docs/intent.md", required: false },
      commands: { setup: null, test, testTimeoutMs: 10_000 },
      limits: { turns: 5, costUsd: 5, minutes: 5, fixRounds },
      model: "claude-sonnet-5-5",
      client: createAnthropicModelClient({ apiKey: "sk-ant-test", baseURL: model.url, maxRetries: 0 }),
      sandbox: recording,
    });
    return { session, commands };
  }

  it("still runs the configured tests after a model error, so the partial work has a verdict", async () => {
    const { session, commands } = await sessionWith(() => errorReply(500, "api_error"), "echo test", 0);
    expect(session.agent.stopReason).toBe("model_error");
    expect(commands).toEqual(["echo test"]);
    expect(session.verificationStatus).toMatchObject({ kind: "ran", outcome: { command: "echo test", passed: true } });
  });

  it("after a model error in a fix round, tests the final work once more and stops there", async () => {
    const script: Script = (_request, index) => (index === 0 ? textReply(SAMPLE_REPORT) : errorReply(500, "api_error"));
    const { session, commands } = await sessionWith(script, "exit 3", 2);
    // Round 0's run, then the run after the fix round the model failed in; no further round.
    expect(commands).toEqual(["exit 3", "exit 3"]);
    expect(session.fixRoundsUsed).toBe(1);
    expect(session.verificationStatus).toMatchObject({ kind: "ran", outcome: { command: "exit 3", exitCode: 3 } });
  });

  it("reports a missing test command as such", async () => {
    const { session } = await sessionWith(() => textReply(SAMPLE_REPORT), null, 0);
    expect(session.verificationStatus).toEqual({ kind: "no_test_command" });
  });
});
