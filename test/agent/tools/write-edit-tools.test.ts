import { existsSync } from "node:fs";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createEditTool } from "../../../src/agent/tools/edit-tool.js";
import type { ToolContext } from "../../../src/agent/tools/tool.js";
import { createWriteTool } from "../../../src/agent/tools/write-tool.js";
import { Fixtures, toolContext, writeFiles } from "./tool-fixtures.js";

describe("Write and Edit", () => {
  const fixtures = new Fixtures();
  const write = createWriteTool();
  const edit = createEditTool();
  let worktree: string;
  let outside: string;
  let context: ToolContext;
  const content = (file: string) => readFile(path.join(worktree, file), "utf8");

  beforeAll(async () => {
    await fixtures.isolateGitConfig();
  });
  beforeEach(async () => {
    worktree = await fixtures.repo({ "README.md": "# Demo\n" });
    outside = await fixtures.dir("pw-tools-outside-");
    await writeFile(path.join(outside, "victim.txt"), "original\n");
    await symlink(outside, path.join(worktree, "linked-dir"));
    await symlink(path.join(outside, "victim.txt"), path.join(worktree, "linked-file.txt"));
    context = toolContext(worktree);
  });
  afterAll(() => fixtures.cleanup());

  describe("Write", () => {
    it("creates a file and its missing directories, reporting size and lines", async () => {
      const result = await write.run({ file_path: "src/deep/new.ts", content: "a\nb\n" }, context);
      expect(result).toEqual({ isError: false, content: "Created src/deep/new.ts (4 bytes, 2 lines)." });
      expect(await content("src/deep/new.ts")).toBe("a\nb\n");
    });

    it("overwrites an existing file and says so", async () => {
      const result = await write.run({ file_path: path.join(worktree, "README.md"), content: "new" }, context);
      expect(result).toEqual({ isError: false, content: "Overwrote README.md (3 bytes, 1 line; it was 7 bytes before)." });
      expect(await content("README.md")).toBe("new");
    });

    it("refuses a directory as the target", async () => {
      await mkdir(path.join(worktree, "dir"));
      const result = await write.run({ file_path: "dir", content: "x" }, context);
      expect(result).toEqual({ isError: true, content: expect.stringContaining("dir is a directory") });
    });

    it("refuses to write .git internals", async () => {
      const before = await content(".git/config");
      const result = await write.run({ file_path: ".git/config", content: "[core]\n\tfsmonitor = evil\n" }, context);
      expect(result).toEqual({ isError: true, content: expect.stringContaining("inside .git") });
      expect(await content(".git/config")).toBe(before);
    });

    it("refuses escapes through .., absolute paths and symlinks, leaving outside files alone", async () => {
      const attempts = [
        "../escaped.txt",
        path.join(outside, "victim.txt"),
        "linked-file.txt",
        "linked-dir/victim.txt",
        "linked-dir/brand-new.txt",
        "linked-dir/new/dir/file.txt",
      ];
      for (const file_path of attempts) {
        const result = await write.run({ file_path, content: "pwned\n" }, context);
        expect(result.isError, file_path).toBe(true);
        expect(result.content).toContain("outside the repository checkout");
      }
      expect(await readFile(path.join(outside, "victim.txt"), "utf8")).toBe("original\n");
      expect(existsSync(path.join(outside, "brand-new.txt"))).toBe(false);
      expect(existsSync(path.join(outside, "new"))).toBe(false);
      expect(existsSync(path.join(path.dirname(worktree), "escaped.txt"))).toBe(false);
    });

    it("rejects input without content", async () => {
      const result = await write.run({ file_path: "x.txt" }, context);
      expect(result).toEqual({ isError: true, content: expect.stringContaining('"content" is required') });
      expect(existsSync(path.join(worktree, "x.txt"))).toBe(false);
    });
  });

  describe("Edit", () => {
    const source = ["import x from 'x';", "", "function greet() {", "  return 'hello';", "}", "", "greet();", ""].join("\n");

    beforeEach(async () => {
      await writeFiles(worktree, { "src/app.ts": source });
    });

    it("replaces a unique match and shows the changed lines with numbers", async () => {
      const result = await edit.run(
        { file_path: "src/app.ts", old_string: "  return 'hello';", new_string: "  return 'hi';" },
        context,
      );
      expect(result.isError).toBe(false);
      expect(await content("src/app.ts")).toBe(source.replace("'hello'", "'hi'"));
      expect(result.content).toBe(
        [
          "Edited src/app.ts. The changed part now reads:",
          "     1\timport x from 'x';",
          "     2\t",
          "     3\tfunction greet() {",
          "     4\t  return 'hi';",
          "     5\t}",
          "     6\t",
          "     7\tgreet();",
        ].join("\n"),
      );
    });

    it("says how to fix an old_string that is not there, with a hint for whitespace", async () => {
      const result = await edit.run({ file_path: "src/app.ts", old_string: "return 'bye';", new_string: "x" }, context);
      expect(result.isError).toBe(true);
      expect(result.content).toContain("old_string was not found in src/app.ts");
      expect(result.content).toContain("Read the file and copy the exact text");
      expect(result.content).toContain("whitespace");
      const tabs = await edit.run({ file_path: "src/app.ts", old_string: "\treturn 'hello';", new_string: "x" }, context);
      expect(tabs.content).toContain("the text is there if whitespace is ignored");
      const numbered = await edit.run({ file_path: "src/app.ts", old_string: "     4\t  return 'hello';", new_string: "x" }, context);
      expect(numbered.content).toContain("line-number prefixes");
      expect(await content("src/app.ts")).toBe(source);
    });

    it("refuses an ambiguous old_string, counting the matches, unless replace_all is set", async () => {
      await writeFiles(worktree, { "src/many.ts": "let a = 1;\nlet b = a;\nlet c = a + a;\n" });
      const ambiguous = await edit.run({ file_path: "src/many.ts", old_string: "a", new_string: "z" }, context);
      expect(ambiguous.isError).toBe(true);
      expect(ambiguous.content).toContain("old_string occurs 4 times in src/many.ts (at lines 1, 2, 3, 3)");
      expect(ambiguous.content).toContain("replace_all");
      expect(await content("src/many.ts")).toBe("let a = 1;\nlet b = a;\nlet c = a + a;\n");

      const all = await edit.run({ file_path: "src/many.ts", old_string: "a", new_string: "z", replace_all: true }, context);
      expect(all.isError).toBe(false);
      expect(all.content).toContain("replaced all 4 occurrences");
      expect(await content("src/many.ts")).toBe("let z = 1;\nlet b = z;\nlet c = z + z;\n");
    });

    it("refuses an edit that changes nothing", async () => {
      const result = await edit.run({ file_path: "src/app.ts", old_string: "greet", new_string: "greet" }, context);
      expect(result).toEqual({ isError: true, content: expect.stringContaining("old_string and new_string are the same") });
    });

    it("creates a missing file from an empty old_string, but will not overwrite a non-empty one", async () => {
      const created = await edit.run({ file_path: "lib/new.ts", old_string: "", new_string: "export {};\n" }, context);
      expect(created).toEqual({ isError: false, content: "Created lib/new.ts with 11 bytes (1 line)." });
      expect(await content("lib/new.ts")).toBe("export {};\n");

      const existing = await edit.run({ file_path: "src/app.ts", old_string: "", new_string: "x" }, context);
      expect(existing).toEqual({ isError: true, content: expect.stringContaining("already exists and is not empty") });
      expect(await content("src/app.ts")).toBe(source);

      await writeFiles(worktree, { "empty.ts": "" });
      expect((await edit.run({ file_path: "empty.ts", old_string: "", new_string: "filled\n" }, context)).isError).toBe(false);
      expect(await content("empty.ts")).toBe("filled\n");
    });

    it("says a missing file does not exist when old_string is not empty", async () => {
      const result = await edit.run({ file_path: "nope.ts", old_string: "a", new_string: "b" }, context);
      expect(result).toEqual({ isError: true, content: expect.stringContaining("File does not exist: nope.ts") });
      expect(result.content).toContain("Write");
    });

    it("edits a CRLF file with the model's \\n text and keeps its line endings", async () => {
      await writeFiles(worktree, { "win.txt": "one\r\ntwo\r\nthree\r\n" });
      const result = await edit.run({ file_path: "win.txt", old_string: "one\ntwo", new_string: "uno\ndos\nmas" }, context);
      expect(result.isError).toBe(false);
      expect(await content("win.txt")).toBe("uno\r\ndos\r\nmas\r\nthree\r\n");
      expect(result.content).toContain("     3\tmas");
    });

    it("inserts new_string literally, even with $ patterns", async () => {
      await edit.run({ file_path: "src/app.ts", old_string: "'hello'", new_string: "`$& $1 $$`" }, context);
      expect(await content("src/app.ts")).toContain("return `$& $1 $$`;");
    });

    it("refuses files that are not UTF-8 text, leaving them intact", async () => {
      const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]);
      await writeFiles(worktree, { "latin1.txt": latin1, "blob.bin": Buffer.from([1, 0, 2]) });
      const result = await edit.run({ file_path: "latin1.txt", old_string: "caf", new_string: "CAF" }, context);
      expect(result).toEqual({ isError: true, content: expect.stringContaining("not valid UTF-8") });
      expect(await readFile(path.join(worktree, "latin1.txt"))).toEqual(latin1);
      expect((await edit.run({ file_path: "blob.bin", old_string: "a", new_string: "b" }, context)).content).toContain("binary");
    });

    it("refuses escapes and .git internals, leaving the targets alone", async () => {
      const attempts = [
        { file_path: "linked-file.txt", old_string: "original", new_string: "pwned" },
        { file_path: path.join(outside, "victim.txt"), old_string: "original", new_string: "pwned" },
        { file_path: "linked-dir/victim.txt", old_string: "original", new_string: "pwned" },
        { file_path: "linked-dir/created.txt", old_string: "", new_string: "pwned" },
        { file_path: "../x.txt", old_string: "", new_string: "pwned" },
      ];
      for (const input of attempts) {
        const result = await edit.run(input, context);
        expect(result.isError, input.file_path).toBe(true);
        expect(result.content).toContain("outside the repository checkout");
      }
      expect(await readFile(path.join(outside, "victim.txt"), "utf8")).toBe("original\n");
      expect(existsSync(path.join(outside, "created.txt"))).toBe(false);

      const gitConfig = await edit.run({ file_path: ".git/config", old_string: "[core]", new_string: "[core]\n\tfsmonitor = x" }, context);
      expect(gitConfig).toEqual({ isError: true, content: expect.stringContaining("inside .git") });
      expect(await content(".git/config")).not.toContain("fsmonitor");
    });
  });
});
