import { mkdir, rm, symlink, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGlobTool } from "../../../src/agent/tools/glob-tool.js";
import type { ToolContext } from "../../../src/agent/tools/tool.js";
import { Fixtures, git, toolContext, writeFiles } from "./tool-fixtures.js";

/** Gives each file its own modification time, in the order given: the first is the oldest. */
async function ageInOrder(root: string, files: readonly string[]): Promise<void> {
  const start = Date.now() / 1000 - 10_000;
  for (const [index, file] of files.entries()) {
    await utimes(path.join(root, file), start + index * 10, start + index * 10);
  }
}

const lines = (content: string) => content.split("\n");

describe("Glob", () => {
  const fixtures = new Fixtures();
  const glob = createGlobTool();
  let worktree: string;
  let outside: string;
  let context: ToolContext;

  beforeAll(async () => {
    await fixtures.isolateGitConfig();
    worktree = await fixtures.repo({
      ".gitignore": "dist/\nnode_modules/\n*.log\n",
      "src/.gitignore": "*.generated.ts\n",
      "README.md": "# demo\n",
      "src/a.ts": "a\n",
      "src/b.ts": "b\n",
      "src/nested/index.ts": "i\n",
      "src/nested/index.js": "i\n",
      "src/nested/other.ts": "o\n",
      "lib/index.js": "l\n",
      ".github/workflows/ci.yml": "on: push\n",
      "gone.ts": "soon deleted\n",
    });
    await writeFiles(worktree, {
      "notes/todo.ts": "untracked but not ignored\n",
      "src/types.generated.ts": "ignored by the nested .gitignore\n",
      "dist/out.js": "ignored\n",
      "debug.log": "ignored\n",
      "node_modules/pkg/index.js": "ignored dependency\n",
      "node_modules/pkg/lib/util.js": "ignored dependency\n",
    });
    await rm(path.join(worktree, "gone.ts"));
    outside = await fixtures.dir("pw-tools-outside-");
    await writeFile(path.join(outside, "secret.ts"), "secret\n");
    await symlink(outside, path.join(worktree, "linked-dir"));
    await ageInOrder(worktree, [
      "README.md",
      "lib/index.js",
      ".github/workflows/ci.yml",
      "src/nested/index.js",
      "src/nested/other.ts",
      "src/nested/index.ts",
      "src/a.ts",
      "notes/todo.ts",
      "src/b.ts",
    ]);
    context = toolContext(worktree);
  });
  afterAll(() => fixtures.cleanup());

  it("finds files at any depth with **, newest first, honouring nested .gitignore files", async () => {
    const result = await glob.run({ pattern: "**/*.ts" }, context);
    expect(result).toEqual({
      isError: false,
      content: ["src/b.ts", "notes/todo.ts", "src/a.ts", "src/nested/index.ts", "src/nested/other.ts"].join("\n"),
    });
  });

  it("supports directory prefixes and brace alternatives", async () => {
    expect((await glob.run({ pattern: "src/**/index.{js,ts}" }, context)).content).toBe("src/nested/index.ts\nsrc/nested/index.js");
    expect((await glob.run({ pattern: "src/*.ts" }, context)).content).toBe("src/b.ts\nsrc/a.ts");
    expect((await glob.run({ pattern: "src/nested/[io]*.?s" }, context)).content).toBe(
      "src/nested/index.ts\nsrc/nested/other.ts\nsrc/nested/index.js",
    );
    expect((await glob.run({ pattern: "./README.md" }, context)).content).toBe("README.md");
    expect((await glob.run({ pattern: "src/nested/" }, context)).content).toBe(
      "src/nested/index.ts\nsrc/nested/other.ts\nsrc/nested/index.js",
    );
  });

  it("includes dotfiles and dot-directories", async () => {
    expect((await glob.run({ pattern: "**/*.yml" }, context)).content).toBe(".github/workflows/ci.yml");
    expect(lines((await glob.run({ pattern: "**/.gitignore" }, context)).content).sort()).toEqual([".gitignore", "src/.gitignore"]);
  });

  it("leaves out ignored files but lists untracked ones and skips deleted tracked ones", async () => {
    const all = lines((await glob.run({ pattern: "**/*" }, context)).content);
    expect(all).toContain("notes/todo.ts");
    for (const ignored of ["dist/out.js", "debug.log", "node_modules/pkg/index.js", "src/types.generated.ts", "gone.ts"]) {
      expect(all).not.toContain(ignored);
    }
    expect(all.some((file) => file.startsWith(".git/"))).toBe(false);
  });

  it("lists an ignored directory when the pattern names it", async () => {
    expect((await glob.run({ pattern: "node_modules/pkg/**/*.js" }, context)).content.split("\n").sort()).toEqual([
      "node_modules/pkg/index.js",
      "node_modules/pkg/lib/util.js",
    ]);
  });

  it("matches relative to path, and shows paths from the repository root", async () => {
    expect((await glob.run({ pattern: "*.ts", path: "src" }, context)).content).toBe("src/b.ts\nsrc/a.ts");
    expect((await glob.run({ pattern: "**/index.*", path: path.join(worktree, "src/nested") }, context)).content).toBe(
      "src/nested/index.ts\nsrc/nested/index.js",
    );
    expect((await glob.run({ pattern: `${worktree}/lib/*.js` }, context)).content).toBe("lib/index.js");
  });

  it("says when nothing matches, and hints at ** for a pattern that only misses the top level", async () => {
    const result = await glob.run({ pattern: "*.ts" }, context);
    expect(result.isError).toBe(false);
    expect(result.content).toBe(
      'No files found matching "*.ts" in the repository. Patterns without a "/" match only at the top of the directory; "**/*.ts" would match 5 files at any depth.',
    );
    expect((await glob.run({ pattern: "**/*.rs" }, context)).content).toBe('No files found matching "**/*.rs" in the repository.');
  });

  it("caps the results, keeping the newest and saying so", async () => {
    const capped = createGlobTool({ maxResults: 2 });
    const result = await capped.run({ pattern: "**/*.ts" }, context);
    expect(lines(result.content)).toEqual([
      "src/b.ts",
      "notes/todo.ts",
      "[Showing the 2 most recently modified of 5 matching files. Use a narrower pattern or path to see the others.]",
    ]);
  });

  it("refuses paths outside the worktree, directly and through symlinks", async () => {
    for (const input of [
      { pattern: "**/*.ts", path: ".." },
      { pattern: "**/*.ts", path: outside },
      { pattern: "**/*.ts", path: "linked-dir" },
      { pattern: "linked-dir/*.ts" },
      { pattern: `${outside}/*.ts` },
    ]) {
      const result = await glob.run(input, context);
      expect(result.isError, JSON.stringify(input)).toBe(true);
      expect(result.content).toContain("outside the repository checkout");
    }
    const dots = await glob.run({ pattern: "../**/*.ts" }, context);
    expect(dots).toEqual({ isError: true, content: expect.stringContaining('contains ".."') });
  });

  it("refuses a file or a missing directory as path, and bad input", async () => {
    expect(await glob.run({ pattern: "*", path: "README.md" }, context)).toEqual({
      isError: true,
      content: expect.stringContaining("path must be a directory"),
    });
    expect((await glob.run({ pattern: "*", path: "nowhere" }, context)).content).toContain("Directory does not exist: nowhere");
    expect((await glob.run({ pattern: "" }, context)).isError).toBe(true);
    expect((await glob.run({ glob: "*.ts" }, context)).content).toContain('"pattern" is required');
  });

  it("walks a directory that is not a git checkout, skipping .git and node_modules", async () => {
    const plain = await fixtures.dir("pw-tools-plain-");
    await writeFiles(plain, {
      "a.ts": "a\n",
      "sub/b.ts": "b\n",
      "node_modules/dep/c.ts": "c\n",
      ".git/d.ts": "d\n",
    });
    await mkdir(path.join(plain, "empty"));
    const result = await glob.run({ pattern: "**/*.ts" }, toolContext(plain));
    expect(lines(result.content).sort()).toEqual(["a.ts", "sub/b.ts"]);
  });

  it("lists files of a linked git worktree (where .git is a file) with its .gitignore", async () => {
    const linked = path.join(await fixtures.dir("pw-tools-linked-"), "wt");
    await git(worktree, "worktree", "add", "-q", "-b", "linked", linked);
    await writeFiles(linked, { "dist/x.js": "ignored\n", "new.ts": "untracked\n" });
    const result = lines((await glob.run({ pattern: "**/*.{js,ts}" }, toolContext(linked))).content);
    expect(result).toContain("new.ts");
    expect(result).toContain("src/a.ts");
    expect(result).not.toContain("dist/x.js");
  });
});
