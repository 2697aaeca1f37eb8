import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { commitAll, createLocalWorktree } from "../../src/workspace/local-worktree.js";
import { recordSetupArtifacts, untouchedArtifacts } from "../../src/workspace/setup-artifacts.js";
import { git, makeRepo } from "../helpers/git-repo.js";

const exec = promisify(execFile);
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/**
 * What a sandboxed command can do to a worktree it may write: point its `.git`
 * file at a git directory of its own whose config runs programs (an fsmonitor
 * and a clean filter), and add a hook. Returns the file those programs create.
 */
async function plant(worktree: string): Promise<string> {
  const marker = path.join(await mkdtemp(path.join(os.tmpdir(), "pw-marker-")), "ran-on-the-host");
  dirs.push(path.dirname(marker));
  const evil = path.join(worktree, ".evil");
  await exec("git", ["init", "--quiet", "--bare", evil]);
  await exec("git", ["--git-dir", evil, "config", "core.bare", "false"]);
  await exec("git", ["--git-dir", evil, "config", "core.fsmonitor", `touch ${marker}; echo`]);
  await exec("git", ["--git-dir", evil, "config", "filter.evil.clean", `touch ${marker}; cat`]);
  await writeFile(path.join(worktree, ".gitattributes"), "* filter=evil\n");
  await writeFile(path.join(worktree, ".git"), `gitdir: ${evil}\n`);
  return marker;
}

async function localWorktree() {
  const repo = await makeRepo({ "README.md": "# widgets\n", "package.json": "{}\n" });
  const root = await mkdtemp(path.join(os.tmpdir(), "pw-local-wt-"));
  dirs.push(repo, root);
  return { repo, worktree: await createLocalWorktree(repo, "planwright/hardening", root) };
}

describe("git on the host, against a worktree the sandbox could rewrite", () => {
  it("really is an attack: plain git in such a worktree runs the planted program", async () => {
    const { worktree } = await localWorktree();
    const marker = await plant(worktree.path);
    await exec("git", ["status", "--porcelain"], { cwd: worktree.path }).catch(() => undefined);
    await exec("git", ["hash-object", "README.md"], { cwd: worktree.path }).catch(() => undefined);
    expect(existsSync(marker)).toBe(true);
  });

  it("records setup's artifacts without running anything the worktree planted", async () => {
    const { worktree } = await localWorktree();
    await writeFile(path.join(worktree.path, "package-lock.json"), "{}\n");
    const marker = await plant(worktree.path);

    const artifacts = await recordSetupArtifacts(worktree.path, worktree.gitEnv);
    expect(existsSync(marker)).toBe(false);
    // Seen through the real git directory: the lockfile, and what the plant itself added.
    expect([...artifacts.keys()]).toContain("package-lock.json");
    expect(await untouchedArtifacts(worktree.path, artifacts)).toContain("package-lock.json");
    await writeFile(path.join(worktree.path, "package-lock.json"), '{"changed":true}\n');
    expect(await untouchedArtifacts(worktree.path, artifacts)).not.toContain("package-lock.json");
    expect(existsSync(marker)).toBe(false);
  });

  it("commits into the real repository with no hook or filter of the worktree's running (planwright run)", async () => {
    const { repo, worktree } = await localWorktree();
    await writeFile(path.join(worktree.path, "health.js"), "exports.ok = true;\n");
    const marker = await plant(worktree.path);

    const sha = await commitAll(worktree, "Add health", { name: "planwright", email: "planwright@example.invalid" }, [".evil", ".gitattributes", ".git"]);
    expect(existsSync(marker)).toBe(false);
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await git(repo, "rev-parse", "planwright/hardening")).toBe(sha);
    expect(await git(repo, "show", "planwright/hardening:health.js")).toBe("exports.ok = true;");
  });
});
