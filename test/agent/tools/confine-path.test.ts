import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveInWorktree } from "../../../src/agent/tools/confine-path.js";
import { Fixtures } from "./tool-fixtures.js";

describe("resolveInWorktree", () => {
  const fixtures = new Fixtures();
  let worktree: string;
  let outside: string;

  beforeAll(async () => {
    const base = await fixtures.dir();
    worktree = path.join(base, "repo");
    outside = path.join(base, "outside");
    await mkdir(path.join(worktree, "src"), { recursive: true });
    await mkdir(outside);
    await writeFile(path.join(worktree, "src", "a.ts"), "a\n");
    await writeFile(path.join(outside, "secret.txt"), "secret\n");
    await symlink(path.join(outside, "secret.txt"), path.join(worktree, "file-link"));
    await symlink(outside, path.join(worktree, "dir-link"));
    await symlink(path.join(outside, "not-yet.txt"), path.join(worktree, "dangling-link"));
    await symlink(path.join(worktree, "src"), path.join(worktree, "src-link"));
    await symlink("loop-b", path.join(worktree, "loop-a"));
    await symlink("loop-a", path.join(worktree, "loop-b"));
    // A sibling whose name starts with the worktree's: a plain prefix test would let it through.
    await mkdir(`${worktree}-evil`);
    await mkdir(path.join(worktree, ".git"));
    await symlink(path.join(worktree, ".git"), path.join(worktree, "git-link"));
  });
  afterAll(() => fixtures.cleanup());

  it("resolves relative and absolute paths inside the worktree", async () => {
    expect(await resolveInWorktree(worktree, "src/a.ts")).toEqual({
      ok: true,
      absolute: path.join(worktree, "src", "a.ts"),
      relative: "src/a.ts",
    });
    expect(await resolveInWorktree(worktree, path.join(worktree, "src/a.ts"))).toMatchObject({ ok: true, relative: "src/a.ts" });
    expect(await resolveInWorktree(worktree, "./src/../src/a.ts")).toMatchObject({ ok: true, relative: "src/a.ts" });
    expect(await resolveInWorktree(worktree, ".")).toEqual({ ok: true, absolute: worktree, relative: "." });
  });

  it("accepts files that do not exist yet, in directories that do not either", async () => {
    expect(await resolveInWorktree(worktree, "new/deep/file.ts")).toEqual({
      ok: true,
      absolute: path.join(worktree, "new/deep/file.ts"),
      relative: "new/deep/file.ts",
    });
  });

  it("refuses .. escapes and absolute paths elsewhere, saying where the checkout is", async () => {
    for (const escape of ["../outside/secret.txt", "src/../../outside", "/etc/passwd", `${worktree}-evil/x`, ".."]) {
      const result = await resolveInWorktree(worktree, escape);
      expect(result, escape).toEqual({
        ok: false,
        message: expect.stringContaining(`is outside the repository checkout at ${worktree}; use a path inside it`),
      });
    }
  });

  it("refuses symlinks that lead outside: to a file, to a directory, and dangling ones", async () => {
    for (const escape of ["file-link", "dir-link/secret.txt", "dir-link/new-file.txt", "dir-link/new/dir/file", "dangling-link"]) {
      const result = await resolveInWorktree(worktree, escape);
      expect(result.ok, escape).toBe(false);
      if (!result.ok) {
        expect(result.message).toContain("symbolic link");
        expect(result.message).toContain(outside);
        expect(result.message).toContain(`outside the repository checkout at ${worktree}`);
      }
    }
  });

  it("follows symlinks that stay inside, to their real path", async () => {
    expect(await resolveInWorktree(worktree, "src-link/a.ts")).toEqual({
      ok: true,
      absolute: path.join(worktree, "src", "a.ts"),
      relative: "src/a.ts",
    });
  });

  it("works when the worktree itself is named through a symlink", async () => {
    const base = await fixtures.dir();
    const alias = path.join(base, "alias");
    await symlink(worktree, alias);
    expect(await resolveInWorktree(alias, "src/a.ts")).toMatchObject({ ok: true, absolute: path.join(worktree, "src", "a.ts") });
    expect(await resolveInWorktree(alias, path.join(alias, "src/a.ts"))).toMatchObject({ ok: true, relative: "src/a.ts" });
    expect((await resolveInWorktree(alias, "../x")).ok).toBe(false);
  });

  it("refuses writes into .git (however it is named) but allows reading it", async () => {
    expect(await resolveInWorktree(worktree, ".git/config")).toMatchObject({ ok: true, relative: ".git/config" });
    for (const gitPath of [".git/config", ".git", "sub/.GIT/hooks/pre-commit", "git-link/hooks/post-checkout"]) {
      const result = await resolveInWorktree(worktree, gitPath, { access: "write" });
      expect(result, gitPath).toEqual({ ok: false, message: expect.stringContaining("inside .git") });
    }
    for (const fine of [".gitignore", ".github/workflows/ci.yml", "src/.gitkeep"]) {
      expect((await resolveInWorktree(worktree, fine, { access: "write" })).ok, fine).toBe(true);
    }
  });

  it("reports symlink loops, empty paths and NUL characters as messages", async () => {
    expect(await resolveInWorktree(worktree, "loop-a/x")).toEqual({ ok: false, message: expect.stringContaining("symbolic links") });
    expect(await resolveInWorktree(worktree, "")).toEqual({ ok: false, message: expect.stringContaining("empty") });
    expect(await resolveInWorktree(worktree, "a\0b")).toEqual({ ok: false, message: expect.stringContaining("NUL") });
  });
});
