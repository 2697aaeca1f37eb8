import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startFakeGitHub } from "./fake-github-server.js";
import type { FakeGitHub, StartFakeGitHubOptions } from "./fake-github-server.js";
import { git, makeRepo } from "./git-repo.js";
import { SAMPLE_REPORT, textReply, toolUseReply } from "./scripted-model.js";
import type { Reply } from "./scripted-model.js";

/**
 * The end-to-end tests' world: a fake GitHub serving one small Node project,
 * acme/widgets, whose test fails until health.js exports `ok = true`, with
 * issue #1 asking for exactly that, filed by alice (write access).
 */
export const WIDGETS = {
  "package.json": JSON.stringify({ name: "widgets", version: "1.0.0", scripts: { test: "node test.js" } }, null, 2),
  "package-lock.json": JSON.stringify({ name: "widgets", version: "1.0.0", lockfileVersion: 3, requires: true, packages: { "": { name: "widgets", version: "1.0.0" } } }, null, 2),
  "test.js": 'const { ok } = require("./health.js");\nif (ok !== true) { console.error("health is not ok"); process.exit(1); }\nconsole.log("1 test passed");\n',
  "health.js": "exports.ok = undefined;\n",
  "docs/plans/backend-plan.md": "# Plan\n\nhealth.js exports ok = true.\n",
  "docs/intent/product-intent.md": "# Intent\n\n- The service reports its health.\n",
};

/** The branch planwright pushes for issue #1. */
export const WIDGETS_BRANCH = "planwright/issue-1-add-a-health-check";

export interface WidgetsWorld {
  fake: FakeGitHub;
  /** The bare repository the fake serves as acme/widgets. */
  bare: string;
  /** Stops the fake and deletes the repositories. */
  close(): Promise<void>;
}

export async function startWidgetsWorld(options: Pick<StartFakeGitHubOptions, "listen"> = {}): Promise<WidgetsWorld> {
  const gitRoot = await mkdtemp(path.join(os.tmpdir(), "pw-e2e-git-"));
  const work = await makeRepo(WIDGETS);
  const fake = await startFakeGitHub({ git: { root: gitRoot }, ...options });
  const bare = path.join(gitRoot, "acme", "widgets.git");
  await mkdir(path.dirname(bare), { recursive: true });
  await git(work, "clone", "-q", "--bare", work, bare);
  await rm(work, { recursive: true, force: true });
  fake.repos.add({ owner: "acme", name: "widgets", ownerType: "Organization", collaborators: { alice: "write" } });
  fake.addIssue({ owner: "acme", repo: "widgets", title: "Add a health check", body: "health.js must report ok.", user: "alice" });
  return {
    fake,
    bare,
    async close() {
      await fake.close();
      await rm(gitRoot, { recursive: true, force: true });
    },
  };
}

/** Edit health.js, run the tests, report: the model's part of a good run, turn by turn. */
export function goodRun(turn: number): Reply {
  if (turn === 0) return toolUseReply([{ name: "Edit", input: { file_path: "health.js", old_string: "undefined", new_string: "true" } }]);
  if (turn === 1) return toolUseReply([{ name: "Bash", input: { command: "npm test" } }]);
  return textReply(SAMPLE_REPORT);
}
