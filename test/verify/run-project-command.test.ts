import { mkdtemp, realpath, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PlainSandbox } from "../../src/sandbox/plain-sandbox.js";
import { runProjectCommand } from "../../src/verify/run-project-command.js";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("runProjectCommand", () => {
  it("shows the end of a test run that printed more than the sandbox keeps, where the failure is", async () => {
    dir = await realpath(await mkdtemp(path.join(os.tmpdir(), "pw-verify-")));
    // 12 MiB of passing lines, then the failure on the same stream: past the 10 MiB the sandbox keeps of it.
    const script = `const line = "ok ".padEnd(1023, ".") + "\\n"; for (let i = 0; i < 12 * 1024; i++) process.stdout.write(line); console.log("1 failing: health is not ok"); process.exitCode = 1;`;
    const outcome = await runProjectCommand({ sandbox: new PlainSandbox(), worktree: dir, command: `node -e '${script}'`, timeoutMs: 60_000 });
    expect(outcome.passed).toBe(false);
    expect(outcome.outputTail).toContain("1 failing: health is not ok");
  });
});
