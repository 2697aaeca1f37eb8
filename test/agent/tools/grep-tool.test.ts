import { symlink, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGrepTool } from "../../../src/agent/tools/grep-tool.js";
import type { ToolContext } from "../../../src/agent/tools/tool.js";
import { Fixtures, toolContext, writeFiles } from "./tool-fixtures.js";

const TRACKED: Record<string, string> = {
  ".gitignore": "dist/\n*.log\n",
  "src/app.ts": 'import { greet } from "./greet";\n// TODO: remove\nexport function main() {\n  greet("World");\n}\n\nmain();\n',
  "src/greet.ts": "export function greet(name: string) {\n  console.log(`Hello, ${name}!`);\n}\n",
  "src/greet.test.ts": 'import { greet } from "./greet";\ntest("greets", () => greet("Test"));\n',
  "docs/guide.md": "# Guide\nCall greet to say Hello.\nhello again\nTODO: write more\n",
  "lib/legacy.js": "function hello() { return 'hello'; }\n",
  ".github/workflows/ci.yml": "name: ci\n# TODO pin versions\n",
  "multi.txt": "start\nfoo\nbar\nend\nfoo\nbaz\n",
  "unicode.txt": "Grüße\nnaïve café\n",
};

const UNTRACKED: Record<string, string | Buffer> = {
  "windows.txt": "Hello\r\nWorld\r\n",
  "data.bin": Buffer.from("hello\0world\n"),
  "dist/bundle.js": "greet hello TODO\n",
  "debug.log": "hello greet TODO\n",
};

/** Oldest first: files_with_matches lists newest first. */
const AGE_ORDER = [
  "lib/legacy.js",
  ".github/workflows/ci.yml",
  "docs/guide.md",
  "src/greet.test.ts",
  "multi.txt",
  "unicode.txt",
  "src/greet.ts",
  "windows.txt",
  "src/app.ts",
];

describe("Grep", () => {
  const fixtures = new Fixtures();
  const ripgrep = createGrepTool({ ripgrepPath: "rg" });
  const builtin = createGrepTool({ ripgrepPath: null });
  let worktree: string;
  let outside: string;
  let context: ToolContext;

  beforeAll(async () => {
    await fixtures.isolateGitConfig();
    worktree = await fixtures.repo(TRACKED);
    await writeFiles(worktree, UNTRACKED);
    const start = Date.now() / 1000 - 10_000;
    for (const [index, file] of AGE_ORDER.entries()) {
      await utimes(path.join(worktree, file), start + index * 10, start + index * 10);
    }
    outside = await fixtures.dir("pw-tools-outside-");
    await writeFile(path.join(outside, "secret.ts"), "greet secret\n");
    await symlink(outside, path.join(worktree, "linked-dir"));
    await symlink(path.join(outside, "secret.ts"), path.join(worktree, "linked-file.ts"));
    context = toolContext(worktree);
  });
  afterAll(() => fixtures.cleanup());

  it("interrupts a pattern that backtracks without end in the built-in search, instead of blocking the process", async () => {
    // (a+)+$ against 31 a's and a b takes JavaScript's backtracking engine
    // tens of seconds, all of it with the event loop blocked.
    const dir = await fixtures.repo({ "slow.txt": `${"a".repeat(31)}b\n` });
    const quick = createGrepTool({ ripgrepPath: null, timeoutMs: 300 });
    const started = Date.now();

    const result = await quick.run({ pattern: "(a+)+$" }, toolContext(dir));

    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.isError).toBe(true);
    expect(result.content).toContain("Grep timed out after 0s while matching slow.txt: the pattern may backtrack without end");
    // ripgrep's engine does not backtrack: the same search simply finds nothing.
    expect((await createGrepTool({ ripgrepPath: "rg", timeoutMs: 5000 }).run({ pattern: "(a+)+$" }, toolContext(dir))).content).toBe(
      'No matches found for "(a+)+$" in the repository.',
    );
  });

  describe.each([
    ["ripgrep", () => ripgrep],
    ["built-in", () => builtin],
  ])("with the %s search", (_name, tool) => {
    const grep = (input: Record<string, unknown>, ctx?: ToolContext) => tool().run(input, ctx ?? context);

    it("lists matching files by default, newest first, skipping ignored and binary files", async () => {
      expect(await grep({ pattern: "greet" })).toEqual({
        isError: false,
        content: "Found 4 files\nsrc/app.ts\nsrc/greet.ts\nsrc/greet.test.ts\ndocs/guide.md",
      });
      expect((await grep({ pattern: "hello" })).content).toBe("Found 2 files\ndocs/guide.md\nlib/legacy.js");
    });

    it("shows matching lines with line numbers in content mode, or without them", async () => {
      expect((await grep({ pattern: "TODO", output_mode: "content" })).content).toBe(
        [".github/workflows/ci.yml:2:# TODO pin versions", "docs/guide.md:4:TODO: write more", "src/app.ts:2:// TODO: remove"].join(
          "\n",
        ),
      );
      expect((await grep({ pattern: "TODO", output_mode: "content", "-n": false, path: "src" })).content).toBe(
        "src/app.ts:// TODO: remove",
      );
    });

    it("ignores case with -i", async () => {
      expect((await grep({ pattern: "hello", "-i": true })).content).toBe(
        "Found 4 files\nwindows.txt\nsrc/greet.ts\ndocs/guide.md\nlib/legacy.js",
      );
      expect((await grep({ pattern: "hello", "-i": true, output_mode: "content", path: "windows.txt" })).content).toBe(
        "windows.txt:1:Hello",
      );
    });

    it("shows context lines with - and separates groups with --", async () => {
      expect((await grep({ pattern: "foo", output_mode: "content", path: "multi.txt", "-A": 1 })).content).toBe(
        ["multi.txt:2:foo", "multi.txt-3-bar", "--", "multi.txt:5:foo", "multi.txt-6-baz"].join("\n"),
      );
      expect((await grep({ pattern: "foo", output_mode: "content", path: "multi.txt", "-B": 1 })).content).toBe(
        ["multi.txt-1-start", "multi.txt:2:foo", "--", "multi.txt-4-end", "multi.txt:5:foo"].join("\n"),
      );
      expect((await grep({ pattern: "foo", output_mode: "content", path: "multi.txt", "-C": 1 })).content).toBe(
        ["multi.txt-1-start", "multi.txt:2:foo", "multi.txt-3-bar", "multi.txt-4-end", "multi.txt:5:foo", "multi.txt-6-baz"].join(
          "\n",
        ),
      );
    });

    it("counts matching lines per file, with the total", async () => {
      expect((await grep({ pattern: "greet", output_mode: "count" })).content).toBe(
        ["docs/guide.md:1", "src/app.ts:2", "src/greet.test.ts:2", "src/greet.ts:1", "", "Found 6 matching lines in 4 files."].join(
          "\n",
        ),
      );
    });

    it("filters files with glob and type", async () => {
      expect((await grep({ pattern: "greet", glob: "*.ts" })).content).toBe("Found 3 files\nsrc/app.ts\nsrc/greet.ts\nsrc/greet.test.ts");
      expect((await grep({ pattern: "greet", glob: "!*.test.ts" })).content).toBe("Found 3 files\nsrc/app.ts\nsrc/greet.ts\ndocs/guide.md");
      expect((await grep({ pattern: "greet", glob: "src/** !*.test.ts" })).content).toBe("Found 2 files\nsrc/app.ts\nsrc/greet.ts");
      expect((await grep({ pattern: "greet", glob: "*.{md,js}" })).content).toBe("Found 1 file\ndocs/guide.md");
      expect((await grep({ pattern: "greet", type: "ts" })).content).toBe("Found 3 files\nsrc/app.ts\nsrc/greet.ts\nsrc/greet.test.ts");
      expect((await grep({ pattern: "greet", type: "md" })).content).toBe("Found 1 file\ndocs/guide.md");
    });

    it("says when nothing matches, without calling it an error", async () => {
      expect(await grep({ pattern: "zzz_nothing" })).toEqual({
        isError: false,
        content: 'No matches found for "zzz_nothing" in the repository.',
      });
      expect((await grep({ pattern: "greet", path: "lib", glob: "*.py" })).content).toBe(
        'No matches found for "greet" in lib (glob *.py).',
      );
    });

    it("reports an invalid regular expression as a tool error", async () => {
      const result = await grep({ pattern: "greet(" });
      expect(result.isError).toBe(true);
      expect(result.content).toContain("Invalid pattern");
    });

    it("pages through results with head_limit and offset", async () => {
      expect((await grep({ pattern: "greet", output_mode: "content", head_limit: 2 })).content).toBe(
        ["docs/guide.md:2:Call greet to say Hello.", 'src/app.ts:1:import { greet } from "./greet";', "", "[Showing entries 1-2 of 6. Use offset: 2 to see the next ones.]"].join(
          "\n",
        ),
      );
      expect((await grep({ pattern: "greet", head_limit: 1, offset: 3 })).content).toBe(
        "Found 4 files\ndocs/guide.md\n\n[Showing entries 4-4 of 4.]",
      );
    });

    it("matches across lines in multiline mode, and refuses \\n otherwise", async () => {
      expect((await grep({ pattern: "foo\\nbar", multiline: true, output_mode: "content" })).content).toBe(
        "multi.txt:2:foo\nmulti.txt:3:bar",
      );
      expect((await grep({ pattern: "start.*end", multiline: true, output_mode: "count" })).content).toBe(
        "multi.txt:1\n\nFound 1 match in 1 file.",
      );
      const refused = await grep({ pattern: "foo\\nbar" });
      expect(refused.isError).toBe(true);
      expect(refused.content).toContain("multiline");
    });

    it("searches a single file given as path, and refuses paths outside the worktree", async () => {
      expect((await grep({ pattern: "greet", path: "src/greet.ts", output_mode: "content" })).content).toBe(
        "src/greet.ts:1:export function greet(name: string) {",
      );
      for (const escape of ["..", outside, "linked-dir", "linked-file.ts", "linked-dir/secret.ts"]) {
        const result = await grep({ pattern: "secret", path: escape });
        expect(result.isError, escape).toBe(true);
        expect(result.content).toContain("outside the repository checkout");
      }
      expect((await grep({ pattern: "x", path: "missing-dir" })).content).toContain("Path does not exist: missing-dir");
    });

    it("does not follow symlinks found while searching the repository", async () => {
      expect((await grep({ pattern: "secret" })).content).toBe('No matches found for "secret" in the repository.');
    });

    it("stops at once when the run is cancelled", async () => {
      const controller = new AbortController();
      controller.abort();
      const result = await grep({ pattern: "greet" }, { ...context, signal: controller.signal });
      expect(result).toEqual({ isError: true, content: expect.stringContaining("cancelled") });
    });
  });

  it("really uses ripgrep when asked: its regex syntax differs from JavaScript's", async () => {
    // Inline flags are ripgrep (Rust regex) syntax; JavaScript rejects them.
    expect((await ripgrep.run({ pattern: "(?i)HELLO again" }, context)).content).toBe("Found 1 file\ndocs/guide.md");
    expect((await builtin.run({ pattern: "(?i)HELLO again" }, context)).isError).toBe(true);
  });

  it("falls back to the built-in search when the ripgrep binary cannot be started", async () => {
    const broken = createGrepTool({ ripgrepPath: path.join(outside, "no-such-rg") });
    const result = await broken.run({ pattern: "greet", glob: "*.md" }, context);
    expect(result.isError).toBe(false);
    expect(result.content).toMatch(/^Found 1 file\ndocs\/guide\.md\n\[.*no-such-rg could not be started.*built-in matcher instead\.\]$/s);
  });

  it("validates its input", async () => {
    const result = await ripgrep.run({ pattern: "x", output_mode: "lines", "-C": -1 }, context);
    expect(result.isError).toBe(true);
    expect(result.content).toContain('"output_mode": must be one of content, files_with_matches, count');
    expect(result.content).toContain('"-C": must be a whole number of at least 0');
  });

  /** Option combinations on which ripgrep and the built-in search must agree exactly. */
  const SAME_OUTPUT: Array<Record<string, unknown>> = [
    { pattern: "greet" },
    { pattern: "hello", "-i": true },
    { pattern: "TODO", output_mode: "content" },
    { pattern: "TODO", output_mode: "content", "-n": false },
    { pattern: "o", output_mode: "content", "-C": 2 },
    { pattern: "foo|end", output_mode: "content", "-A": 1, "-B": 0 },
    { pattern: "^export", output_mode: "content", "-B": 3 },
    { pattern: "[A-Z][a-z]+", output_mode: "count" },
    { pattern: "\\bgreet\\b", output_mode: "count", "-i": true },
    { pattern: "greet", glob: "*.ts" },
    { pattern: "greet", glob: "*.{ts,md}", output_mode: "content" },
    { pattern: "greet", glob: "!*.test.ts", output_mode: "count" },
    { pattern: "e", glob: "src/**/*.ts" },
    { pattern: "e", glob: "!src" },
    { pattern: "e", glob: "**/workflows/*" },
    { pattern: "greet", type: "ts", output_mode: "content" },
    { pattern: "e", type: "md" },
    { pattern: "e", path: "src", output_mode: "content", "-C": 1 },
    { pattern: "o", path: "src/greet.ts", output_mode: "count" },
    { pattern: "foo\\nbar", multiline: true, output_mode: "content" },
    { pattern: "foo.bar", multiline: true, output_mode: "count" },
    { pattern: "\\{\\n", multiline: true },
    { pattern: "e", head_limit: 3 },
    { pattern: "e", output_mode: "content", head_limit: 5, offset: 2 },
    { pattern: "World$", output_mode: "content" },
    { pattern: "caf.|Grü", output_mode: "content" },
    { pattern: "no-such-text" },
    { pattern: "no-such-text", output_mode: "content" },
  ];

  it.each(SAME_OUTPUT)("ripgrep and the built-in search agree on %j", async (input) => {
    const [fromRipgrep, fromBuiltin] = await Promise.all([ripgrep.run(input, context), builtin.run(input, context)]);
    expect(fromRipgrep.isError).toBe(false);
    expect(fromBuiltin).toEqual(fromRipgrep);
  });

  it("agrees with ripgrep outside a git checkout too, where .gitignore does not apply and node_modules is skipped", async () => {
    const plain = await fixtures.dir("pw-tools-plain-");
    await writeFiles(plain, {
      ".gitignore": "ignored.txt\n",
      "ignored.txt": "needle (no git, so .gitignore does not apply)\n",
      "a.txt": "needle\n",
      "sub/b.txt": "a needle here\n",
      "node_modules/dep/c.txt": "needle\n",
    });
    const plainContext = toolContext(plain);
    for (const input of [{ pattern: "needle", output_mode: "content" }, { pattern: "needle", output_mode: "count" }]) {
      const fromRipgrep = await ripgrep.run(input, plainContext);
      expect(fromRipgrep.content).toBe(
        input.output_mode === "content"
          ? "a.txt:1:needle\nignored.txt:1:needle (no git, so .gitignore does not apply)\nsub/b.txt:1:a needle here"
          : "a.txt:1\nignored.txt:1\nsub/b.txt:1\n\nFound 3 matching lines in 3 files.",
      );
      expect(await builtin.run(input, plainContext)).toEqual(fromRipgrep);
    }
  });
});
