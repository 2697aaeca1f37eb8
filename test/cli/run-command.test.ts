import { readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { mkdtemp } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { runCommand } from "../../src/cli/run-command.js";
import type { CliIO } from "../../src/cli/run-command.js";
import { git, makeRepo } from "../helpers/git-repo.js";
import { errorReply, SAMPLE_REPORT, startScriptedModel, textReply, toolUseReply, writeFileCall } from "../helpers/scripted-model.js";
import type { Script, ScriptedModel } from "../helpers/scripted-model.js";

const cleanup: string[] = [];
let model: ScriptedModel | undefined;
afterEach(async () => {
  await model?.close();
  model = undefined;
  for (const dir of cleanup.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A small project whose tests pass once `health.js` exports ok === true. */
const PROJECT = {
  "package.json": JSON.stringify({ name: "svc", version: "1.0.0", scripts: { test: "node test.js" } }, null, 2),
  "test.js": 'const { ok } = require("./health.js");\nif (ok !== true) { console.error("health is not ok"); process.exit(1); }\nconsole.log("1 test passed");\n',
  "docs/plans/backend-plan.md": "# Plan\n\nAdd health.js exporting ok = true.\n",
  "docs/intent/product-intent.md": "# Intent\n\n- The service reports its health.\n",
};

async function setup(script: Script) {
  const repo = await makeRepo(PROJECT);
  const data = await mkdtemp(path.join(os.tmpdir(), "pw-data-"));
  cleanup.push(repo, data);
  model = await startScriptedModel(script);
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: { PATH: process.env.PATH, ANTHROPIC_API_KEY: "sk-ant-test-key-123456", ANTHROPIC_BASE_URL: model.url, PLANWRIGHT_DATA_DIR: data, PLANWRIGHT_SANDBOX: "auto" },
    cwd: repo,
  };
  return { repo, data, io, out, err };
}

describe("planwright run", () => {
  it("implements an issue on a new branch, verifies it, and prints the report", async () => {
    const { repo, io, out, err } = await setup((request, index) => {
      // The seed's tools have no Write: a new file is an Edit with an empty old_string.
      if (index === 0) return toolUseReply([{ name: "Edit", input: { file_path: "health.js", old_string: "", new_string: "exports.ok = true;\n" } }]);
      if (index === 1) return toolUseReply([{ name: "Bash", input: { command: "npm test" } }]);
      return textReply(SAMPLE_REPORT);
    });
    const code = await runCommand(["--title", "Add a health check", "--body", "See the plan."], io);
    expect(err.join("")).toContain("[agent] turn 1 · Edit health.js");
    expect(code).toBe(0);
    const printed = out.join("");
    expect(printed).toContain("## Implemented\n- [x] GET /health endpoint");
    expect(printed).toMatch(/✅ `npm test` passed/);
    expect(printed).toMatch(/3 turns/);

    // The work is a commit on the new branch; the user's checkout is untouched.
    const branch = "planwright/add-a-health-check";
    expect(await git(repo, "show", `${branch}:health.js`)).toBe("exports.ok = true;");
    expect(await git(repo, "log", "-1", "--format=%an <%ae>|%s", branch)).toBe("planwright <planwright@users.noreply.github.com>|Implement: Add a health check");
    expect(await git(repo, "rev-parse", "--abbrev-ref", "HEAD")).toBe("main");
    await expect(stat(path.join(repo, "health.js"))).rejects.toThrow();
    expect(await git(repo, "worktree", "list")).not.toContain("planwright");

    // The agent saw the plan, the intent and the task; Bash's output came back to it.
    const first = JSON.stringify(model!.requests[0]!.messages[0]);
    expect(first).toContain("Add health.js exporting ok = true.");
    expect(first).toContain("The service reports its health.");
    expect(JSON.stringify(model!.requests[2]!.messages.at(-1))).toContain("1 test passed");
  });

  it("sends failing tests back to the agent and verifies the fix", async () => {
    const { repo, io, out } = await setup((request, index) => {
      if (index === 0) return toolUseReply([writeFileCall("health.js", "exports.ok = false;\n")]);
      if (index === 1) return textReply(SAMPLE_REPORT);
      if (index === 2) return toolUseReply([{ name: "Edit", input: { file_path: "health.js", old_string: "false", new_string: "true" } }]);
      return textReply(SAMPLE_REPORT);
    });
    const code = await runCommand(["--title", "Add a health check"], io);
    expect(code).toBe(0);
    const fixRequest = JSON.stringify(model!.requests[2]!.messages.at(-1));
    expect(fixRequest).toContain("fix round 1 of 2");
    expect(fixRequest).toContain("health is not ok");
    expect(out.join("")).toMatch(/✅ `npm test` passed .*\(after 1 fix round\)/);
    expect(await git(repo, "show", "planwright/add-a-health-check:health.js")).toBe("exports.ok = true;");
  });

  it("reports failure with exit 1 when the tests never pass", async () => {
    const { io, out } = await setup((request, index) =>
      index % 2 === 0 ? toolUseReply([writeFileCall("health.js", "exports.ok = 0;\n")]) : textReply(SAMPLE_REPORT),
    );
    const code = await runCommand(["--title", "Add a health check"], io);
    expect(code).toBe(1);
    expect(out.join("")).toMatch(/❌ `npm test` failed with exit code 1/);
    expect(out.join("")).toContain("health is not ok");
  });

  it("after a model error still runs the detected test command on what the agent did", async () => {
    const { io, out, err } = await setup((request, index) =>
      index === 0 ? toolUseReply([writeFileCall("health.js", "exports.ok = true;\n")]) : errorReply(400, "invalid_request_error"),
    );
    const code = await runCommand(["--title", "Add a health check"], io);
    expect(code).toBe(1);
    expect(err.join("")).toContain("test command: npm test");
    const printed = out.join("");
    expect(printed).not.toMatch(/No test command was configured or detected/);
    expect(printed).toMatch(/✅ `npm test` passed/);
  });

  it("refuses to start without an API key, saying what to set", async () => {
    const { io, err } = await setup(() => textReply(SAMPLE_REPORT));
    delete io.env.ANTHROPIC_API_KEY;
    expect(await runCommand(["--title", "x"], io)).toBe(2);
    expect(err.join("")).toMatch(/ANTHROPIC_API_KEY is not set/);
    expect(model!.requests).toHaveLength(0);
  });

  it("refuses a directory that is not a git checkout", async () => {
    const { io, err } = await setup(() => textReply(SAMPLE_REPORT));
    const plain = await mkdtemp(path.join(os.tmpdir(), "pw-plain-"));
    cleanup.push(plain);
    expect(await runCommand(["--repo", plain, "--title", "x"], io)).toBe(2);
    expect(err.join("")).toMatch(/is not a git checkout/);
    // A path that does not exist at all gets the same answer, not a stack trace.
    err.length = 0;
    expect(await runCommand(["--repo", path.join(plain, "missing"), "--title", "x"], io)).toBe(2);
    expect(err.join("")).toMatch(/is not a git checkout/);
  });

  it("reads the issue from a markdown file", async () => {
    const { io, repo } = await setup(() => textReply(SAMPLE_REPORT));
    const file = path.join(repo, "..", `issue-${path.basename(repo)}.md`);
    cleanup.push(file);
    await import("node:fs/promises").then((fs) => fs.writeFile(file, "# Add metrics\n\nExpose /metrics.\n"));
    await runCommand(["--issue", file], io);
    const first = JSON.stringify(model!.requests[0]!.messages[0]);
    expect(first).toContain("Add metrics");
    expect(first).toContain("Expose /metrics.");
    expect(await git(repo, "branch", "--list", "planwright/add-metrics")).toContain("planwright/add-metrics");
  });

  it("writes a transcript without the API key in it", async () => {
    const { io, data } = await setup(() => textReply(SAMPLE_REPORT));
    await runCommand(["--title", "x"], io);
    const dir = path.join(data, "transcripts");
    const [file] = await import("node:fs/promises").then((fs) => fs.readdir(dir));
    const text = await readFile(path.join(dir, file!), "utf8");
    expect(text).toContain('"type":"request"');
    expect(text).not.toContain("sk-ant-test-key-123456");
  });
});
