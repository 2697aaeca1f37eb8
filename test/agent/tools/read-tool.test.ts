import { execFile } from "node:child_process";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReadTool } from "../../../src/agent/tools/read-tool.js";
import type { ToolContext } from "../../../src/agent/tools/tool.js";
import { Fixtures, toolContext, writeFiles } from "./tool-fixtures.js";

const PNG_HEADER = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]);

describe("Read", () => {
  const fixtures = new Fixtures();
  const read = createReadTool();
  let worktree: string;
  let outside: string;
  let context: ToolContext;

  beforeAll(async () => {
    const base = await fixtures.dir();
    worktree = path.join(base, "repo");
    outside = path.join(base, "outside");
    await mkdir(outside);
    await writeFile(path.join(outside, "secret.txt"), "top secret\n");
    await writeFiles(worktree, {
      "three.txt": "alpha\nbeta\ngamma\n",
      "no-newline.txt": "one\ntwo",
      "empty.txt": "",
      "long.txt": Array.from({ length: 2500 }, (_, i) => `line ${i + 1}`).join("\n") + "\n",
      "wide.txt": `${"x".repeat(2500)}\nshort\n`,
      "crlf.txt": "first\r\nsecond\r\n",
      "bom.txt": "\uFEFFwith bom\n",
      "utf16.txt": Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("hi there\nsecond\n", "utf16le")]),
      "data.bin": Buffer.from([0x41, 0x00, 0x42, 0x43, 0x00]),
      "logo.png": Buffer.concat([PNG_HEADER, Buffer.alloc(100, 7)]),
      "lfs.png": "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12345\n",
      "src/index.ts": "export {};\n",
      "src/util.ts": "export const x = 1;\n",
    });
    await symlink(path.join(outside, "secret.txt"), path.join(worktree, "secret-link"));
    await symlink(outside, path.join(worktree, "outside-dir"));
    context = toolContext(worktree);
  });
  afterAll(() => fixtures.cleanup());

  it("numbers lines cat -n style: the number right-aligned in six columns, a tab, the line", async () => {
    expect(await read.run({ file_path: "three.txt" }, context)).toEqual({
      isError: false,
      content: "     1\talpha\n     2\tbeta\n     3\tgamma",
    });
    expect((await read.run({ file_path: path.join(worktree, "no-newline.txt") }, context)).content).toBe("     1\tone\n     2\ttwo");
  });

  it("starts at a 1-based offset and stops after limit lines, saying how to read on", async () => {
    const result = await read.run({ file_path: "long.txt", offset: 10, limit: 3 }, context);
    expect(result.isError).toBe(false);
    expect(result.content).toBe(
      "    10\tline 10\n    11\tline 11\n    12\tline 12\n\n[Lines 10-12 of 2500 shown. Call Read with offset: 13 to read on.]",
    );
    // Models send numbers as strings now and then.
    expect((await read.run({ file_path: "long.txt", offset: "2500", limit: "5" }, context)).content).toBe("  2500\tline 2500");
  });

  it("reads 2000 lines by default", async () => {
    const result = await read.run({ file_path: "long.txt" }, context);
    const lines = result.content.split("\n");
    expect(lines[0]).toBe("     1\tline 1");
    expect(lines[1999]).toBe("  2000\tline 2000");
    expect(lines[2000]).toBe("");
    expect(lines[2001]).toBe("[Lines 1-2000 of 2500 shown. Call Read with offset: 2001 to read on.]");
  });

  it("cuts lines longer than 2000 characters, with a marker", async () => {
    const result = await read.run({ file_path: "wide.txt" }, context);
    const [first, second] = result.content.split("\n");
    expect(first).toBe(`     1\t${"x".repeat(2000)}… [line cut: 2500 characters in all]`);
    expect(second).toBe("     2\tshort");
  });

  it("stops before the output gets too big, saying where to continue", async () => {
    const small = createReadTool({ maxOutputChars: 60 });
    const result = await small.run({ file_path: "long.txt" }, context);
    expect(result.content).toMatch(/^ {5}1\tline 1\n {5}2\tline 2\n {5}3\tline 3\n {5}4\tline 4\n\n\[Stopped after line 4 /);
    expect(result.content).toContain("Call Read with offset: 5 to read on.");
  });

  it("shows CRLF lines without the carriage return, drops a BOM, and decodes UTF-16 text", async () => {
    expect((await read.run({ file_path: "crlf.txt" }, context)).content).toBe("     1\tfirst\n     2\tsecond");
    expect((await read.run({ file_path: "bom.txt" }, context)).content).toBe("     1\twith bom");
    expect((await read.run({ file_path: "utf16.txt" }, context)).content).toBe("     1\thi there\n     2\tsecond");
  });

  it("says when a file is empty or the offset is past its end", async () => {
    expect(await read.run({ file_path: "empty.txt" }, context)).toEqual({
      isError: false,
      content: "empty.txt exists but is empty (0 bytes).",
    });
    const past = await read.run({ file_path: "three.txt", offset: 10 }, context);
    expect(past).toEqual({ isError: true, content: expect.stringContaining("has 3 lines, so offset 10 is past its end") });
  });

  it("refuses binary files, saying what they are and how big", async () => {
    const nul = await read.run({ file_path: "data.bin" }, context);
    expect(nul.isError).toBe(true);
    expect(nul.content).toContain("data.bin is a binary file (binary data, 5 bytes)");
    const png = await read.run({ file_path: "logo.png" }, context);
    expect(png).toEqual({ isError: true, content: expect.stringContaining("logo.png is a binary file (PNG image, 116 bytes)") });
    // A Git LFS pointer has an image's name but is text.
    expect((await read.run({ file_path: "lfs.png" }, context)).content).toContain("1\tversion https://git-lfs.github.com/spec/v1");
  });

  it("refuses directories, pointing to Glob and ls", async () => {
    const result = await read.run({ file_path: "src" }, context);
    expect(result.isError).toBe(true);
    expect(result.content).toContain("src is a directory");
    expect(result.content).toContain("Glob");
    expect(result.content).toContain("ls src");
  });

  it("refuses a named pipe instead of hanging on it", async () => {
    await promisify(execFile)("mkfifo", [path.join(worktree, "pipe")]);
    expect(await read.run({ file_path: "pipe" }, context)).toEqual({
      isError: true,
      content: expect.stringContaining("pipe is not a regular file"),
    });
  });

  it("says a missing file does not exist, and suggests a near name", async () => {
    const result = await read.run({ file_path: "src/index.js" }, context);
    expect(result).toEqual({ isError: true, content: "File does not exist: src/index.js. Did you mean src/index.ts?" });
    const nowhere = await read.run({ file_path: "nope/x.ts" }, context);
    expect(nowhere.isError).toBe(true);
    expect(nowhere.content).toContain("File does not exist: nope/x.ts");
  });

  it("refuses paths outside the worktree, directly and through symlinks, without reading them", async () => {
    for (const escape of ["../outside/secret.txt", path.join(outside, "secret.txt"), "secret-link", "outside-dir/secret.txt"]) {
      const result = await read.run({ file_path: escape }, context);
      expect(result.isError, escape).toBe(true);
      expect(result.content).toContain(`outside the repository checkout at ${worktree}`);
      expect(result.content).not.toContain("top secret");
    }
  });

  it("answers bad input with what was wrong and the right form", async () => {
    const missing = await read.run({ path: "three.txt" }, context);
    expect(missing.isError).toBe(true);
    expect(missing.content).toContain('"file_path" is required');
    expect(missing.content).toContain('unknown parameter "path"');
    expect(missing.content).toContain("Read{file_path: string, offset?: number, limit?: number}");
    const zero = await read.run({ file_path: "three.txt", limit: 0 }, context);
    expect(zero).toEqual({ isError: true, content: expect.stringContaining('"limit": must be a whole number of at least 1') });
    expect((await read.run("three.txt", context)).isError).toBe(true);
    // JSON null for an optional parameter means it was left out.
    expect((await read.run({ file_path: "three.txt", offset: null, limit: null }, context)).isError).toBe(false);
  });
});
