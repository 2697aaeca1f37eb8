import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBashTool } from "../../../src/agent/tools/bash-tool.js";
import type { ToolContext } from "../../../src/agent/tools/tool.js";
import { BwrapSandbox } from "../../../src/sandbox/bwrap-sandbox.js";
import type { CommandRequest, Sandbox } from "../../../src/sandbox/sandbox.js";
import { MirrorWorkspace } from "../../../src/workspace/mirror-workspace.js";
import { bwrapSkipReason, bwrapUsable } from "../../sandbox/sandbox-helpers.js";
import { Fixtures, git, toolContext, waitUntil } from "./tool-fixtures.js";

describe("Bash (plain sandbox)", () => {
  const fixtures = new Fixtures();
  const bash = createBashTool();
  let worktree: string;
  let context: ToolContext;

  beforeAll(async () => {
    worktree = await fixtures.dir("pw-tools-bash-");
    context = toolContext(worktree);
  });
  afterAll(() => fixtures.cleanup());

  it("returns stdout and stderr together with the exit code; a failing command is not a tool error", async () => {
    const ok = await bash.run({ command: "echo out; echo err >&2", description: "Print twice" }, context);
    expect(ok).toEqual({ isError: false, content: "out\nerr\nExit code: 0" });
    const failing = await bash.run({ command: "echo broken; exit 3" }, context);
    expect(failing).toEqual({ isError: false, content: "broken\nExit code: 3" });
    expect(await bash.run({ command: "true" }, context)).toEqual({ isError: false, content: "(no output)\nExit code: 0" });
    expect((await bash.run({ command: "printf 'no newline'" }, context)).content).toBe("no newline\nExit code: 0");
  });

  it("runs in the worktree, with the run's HOME when one is given", async () => {
    const home = await fixtures.dir("pw-tools-home-");
    const result = await bash.run({ command: "pwd; echo \"$HOME\"; echo made > here.txt" }, { ...context, homeDir: home });
    expect(result.content).toBe(`${worktree}\n${home}\nExit code: 0`);
    expect(await readFile(path.join(worktree, "here.txt"), "utf8")).toBe("made\n");
  });

  it("kills a command at the default timeout and reports it as an error", async () => {
    const result = await bash.run({ command: "echo begun; sleep 30" }, { ...context, bashDefaultTimeoutMs: 300 });
    expect(result.isError).toBe(true);
    expect(result.content).toBe("begun\nCommand timed out after 0.3s; the whole process group was killed.");
  });

  it("uses the model's timeout, capped at the maximum", async () => {
    const explicit = await bash.run({ command: "sleep 30", timeout: 300 }, context);
    expect(explicit).toEqual({ isError: true, content: expect.stringContaining("timed out after 0.3s") });

    const capped = await bash.run({ command: "sleep 30", timeout: 3_600_000 }, { ...context, bashMaxTimeoutMs: 400 });
    expect(capped.isError).toBe(true);
    expect(capped.content).toContain("The timeout asked for (3600s) was capped at the maximum, 0.4s.");
    expect(capped.content).toContain("timed out after 0.4s");
  });

  it("stops the command when the run is cancelled", async () => {
    const controller = new AbortController();
    const marker = path.join(worktree, "started");
    const pending = bash.run({ command: `touch ${marker}; sleep 30; echo never` }, { ...context, signal: controller.signal });
    expect(await waitUntil(() => existsSync(marker))).toBe(true);
    controller.abort();
    const result = await pending;
    expect(result.isError).toBe(true);
    expect(result.content).toContain("Command cancelled because the run is stopping; the whole process group was killed.");
    expect(result.content).not.toContain("never");
  });

  it("reports output beyond the sandbox's cap as truncated instead of failing", async () => {
    const small = createBashTool({ maxOutputBytes: 64 * 1024 });
    const result = await small.run({ command: "head -c 3000000 /dev/zero | tr '\\0' x; echo done >&2" }, context);
    expect(result.isError).toBe(false);
    expect(result.content).toContain("[Output truncated: only the first 64.0 KiB of each stream was kept.");
    expect(result.content).toMatch(/Exit code: 0$/);
    expect(result.content.length).toBeLessThan(70 * 1024);
    expect(result.content).toContain("done");
  });

  it("rejects bad input with the right form", async () => {
    const missing = await bash.run({ cmd: "ls" }, context);
    expect(missing.isError).toBe(true);
    expect(missing.content).toContain('"command" is required');
    expect(missing.content).toContain("Bash{command: string, timeout?: number (milliseconds), description?: string}");
    expect((await bash.run({ command: "ls", timeout: "soon" }, context)).content).toContain('"timeout": must be a whole number');
    expect((await bash.run({ command: "ls", timeout: -5 }, context)).isError).toBe(true);
  });

  it("passes the context's sandbox paths to the sandbox", async () => {
    const requests: CommandRequest[] = [];
    const recording: Sandbox = {
      kind: "none",
      run: (request) => {
        requests.push(request);
        return context.sandbox.run(request);
      },
    };
    const sandboxPaths = { readOnly: ["/srv/mirror.git"], writable: ["/srv/mirror.git/worktrees/one"] };
    await bash.run({ command: "true" }, { ...context, sandbox: recording, sandboxPaths });
    await bash.run({ command: "true" }, { ...context, sandbox: recording });
    expect(requests[0]).toMatchObject({ readOnlyPaths: sandboxPaths.readOnly, writablePaths: sandboxPaths.writable });
    expect(requests[1]).not.toHaveProperty("readOnlyPaths");
  });

  it("turns a sandbox that cannot start the command into a tool error", async () => {
    const broken: Sandbox = {
      kind: "none",
      run: () => Promise.reject(new Error("sandbox: could not start /bin/bash: ENOENT")),
    };
    const result = await bash.run({ command: "ls" }, { ...context, sandbox: broken });
    expect(result).toEqual({ isError: true, content: "The command could not be started: sandbox: could not start /bin/bash: ENOENT" });
  });
});

describe.skipIf(!bwrapUsable)(`Bash (bubblewrap sandbox)${bwrapSkipReason}`, () => {
  const fixtures = new Fixtures();
  const bash = createBashTool();
  let worktree: string;
  let outside: string;
  let context: ToolContext;

  beforeAll(async () => {
    // Under /var/tmp: the sandbox has a private /tmp, which would hide a write outside whether or not it was blocked.
    const base = await fixtures.dir("pw-tools-bwrap-", "/var/tmp");
    worktree = path.join(base, "worktree");
    outside = path.join(base, "outside");
    await mkdir(worktree);
    await mkdir(outside);
    context = toolContext(worktree, { sandbox: new BwrapSandbox({ hiddenPaths: [] }) });
  });
  afterAll(() => fixtures.cleanup());

  it("can write in the worktree but not outside it", async () => {
    const inside = await bash.run({ command: "echo ok > inside.txt && cat inside.txt" }, context);
    expect(inside).toEqual({ isError: false, content: "ok\nExit code: 0" });

    const escape = await bash.run({ command: `echo pwned > ${outside}/escaped.txt` }, context);
    expect(escape.isError).toBe(false);
    expect(escape.content).toContain("Read-only file system");
    expect(escape.content).toMatch(/Exit code: [1-9]/);
    expect(existsSync(path.join(outside, "escaped.txt"))).toBe(false);
  });
});

describe.skipIf(!bwrapUsable)(`Bash on a MirrorWorkspace checkout (bubblewrap sandbox)${bwrapSkipReason}`, () => {
  const fixtures = new Fixtures();
  const bash = createBashTool();

  afterAll(() => fixtures.cleanup());

  it("lets the agent see its own change with git diff when given the checkout's sandbox paths", async () => {
    const base = await fixtures.dir("pw-tools-bwrap-git-", "/var/tmp");
    const dataDir = path.join(base, "data");
    const source = await fixtures.repo({ "src/app.ts": "export const answer = 41;\n" });
    const origin = path.join(base, "origin.git");
    await git(base, "clone", "--quiet", "--bare", source, origin);
    const workspace = new MirrorWorkspace({ root: path.join(dataDir, "workspaces") });
    const checkout = await workspace.checkout({
      cloneUrl: origin,
      repoFullName: "acme/widgets",
      defaultBranch: "main",
      branch: "planwright/issue-3-answer",
      token: async () => "unused",
      runId: "run-3",
    });
    // planwright's data directory is hidden, mirror and all, as in production.
    const sandbox = new BwrapSandbox({ hiddenPaths: [dataDir] });
    const context = toolContext(checkout.path, { sandbox, sandboxPaths: checkout.sandboxPaths });

    const edit = await bash.run({ command: "sed -i 's/41/42/' src/app.ts" }, context);
    expect(edit.content).toBe("(no output)\nExit code: 0");
    const diff = await bash.run({ command: "git status --short && git diff" }, context);
    expect(diff.isError).toBe(false);
    expect(diff.content).toContain(" M src/app.ts");
    expect(diff.content).toContain("-export const answer = 41;\n+export const answer = 42;");
    expect(diff.content).toMatch(/Exit code: 0$/);

    const blind = await bash.run({ command: "git diff" }, { ...context, sandboxPaths: undefined });
    expect(blind.content).toMatch(/not a git repository/);

    const { sha } = await workspace.commit(checkout, { message: "Answer 42", author: { name: "t", email: "t@example.com" }, protectedPaths: [] });
    expect(await git(checkout.mirrorPath, "show", `${sha}:src/app.ts`)).toBe("export const answer = 42;\n");
    await workspace.release(checkout);
  });
});
