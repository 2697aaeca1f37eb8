import { describe, expect, it } from "vitest";
import { compileGlob, expandBraces, GlobPatternError, hasGlobMagic } from "../../../src/agent/tools/glob-pattern.js";
import { ripgrepFileFilter, splitGlobParameter } from "../../../src/agent/tools/ripgrep-file-filter.js";

describe("compileGlob", () => {
  const cases: Array<[pattern: string, matches: string[], misses: string[]]> = [
    ["*.ts", ["a.ts", ".hidden.ts", "x.d.ts"], ["a.tsx", "src/a.ts", "a.ts/b"]],
    ["**/*.ts", ["a.ts", "src/a.ts", "src/deep/er/a.ts"], ["a.js", "src/a.tsx"]],
    ["src/**", ["src/a", "src/x/y/z.ts"], ["src", "lib/src/a"]],
    ["src/**/index.ts", ["src/index.ts", "src/a/b/index.ts"], ["index.ts", "src/a/xindex.ts"]],
    ["a/**/b/*.md", ["a/b/x.md", "a/1/2/b/x.md"], ["a/b/c/x.md", "a/xb/x.md"]],
    ["?.js", ["a.js"], ["ab.js", "/.js"]],
    ["file[0-9].txt", ["file1.txt"], ["filea.txt", "file10.txt"]],
    ["file[!0-9].txt", ["filea.txt"], ["file1.txt", "file/.txt"]],
    ["[Mm]akefile", ["Makefile", "makefile"], ["MAKEFILE"]],
    ["*.{js,ts}", ["a.js", "a.ts"], ["a.jsx", "a.{js,ts}"]],
    ["src/{a,b/{c,d}}/*.ts", ["src/a/x.ts", "src/b/c/x.ts", "src/b/d/x.ts"], ["src/b/x.ts", "src/b/e/x.ts"]],
    ["{a}.txt", ["{a}.txt"], ["a.txt"]],
    ["\\*.txt", ["*.txt"], ["a.txt"]],
    ["a+b(c).txt", ["a+b(c).txt"], ["aab(c).txt", "a+bc.txt"]],
    ["[.txt", ["[.txt"], ["a.txt"]],
    ["a**b", ["ab", "axxb"], ["a/b"]],
    ["**", ["a", "a/b/c"], []],
  ];

  it.each(cases)("%s", (pattern, matches, misses) => {
    const matcher = compileGlob(pattern);
    for (const candidate of matches) expect(matcher(candidate), `${pattern} should match ${candidate}`).toBe(true);
    for (const candidate of misses) expect(matcher(candidate), `${pattern} should not match ${candidate}`).toBe(false);
  });

  it("expands braces and refuses patterns with too many alternatives", () => {
    expect(expandBraces("{a,b}{1,2}").sort()).toEqual(["a1", "a2", "b1", "b2"]);
    expect(expandBraces("x{,y}")).toEqual(["x", "xy"]);
    expect(() => compileGlob("{a,b,c,d}".repeat(6))).toThrow(GlobPatternError);
  });

  it("tells plain paths from patterns", () => {
    expect(hasGlobMagic("src")).toBe(false);
    for (const magic of ["*.ts", "a?", "[ab]", "{a,b}", "a\\*"]) expect(hasGlobMagic(magic), magic).toBe(true);
  });
});

describe("ripgrepFileFilter", () => {
  it("matches globs without a slash against names at any depth, with one against the path", () => {
    const byName = ripgrepFileFilter(["*.ts"], undefined, ".");
    expect(["a.ts", "src/deep/b.ts"].every(byName)).toBe(true);
    expect(byName("a.js")).toBe(false);
    const byPath = ripgrepFileFilter(["src/*.ts"], undefined, ".");
    expect(byPath("src/a.ts")).toBe(true);
    expect(byPath("lib/src/a.ts")).toBe(false);
    // Anchored to the repository root even when searching below it, as ripgrep does.
    expect(ripgrepFileFilter(["src/x/*.ts"], undefined, "src")("src/x/a.ts")).toBe(true);
  });

  it("lets the last matching glob decide, and excluded directories take their files along", () => {
    const filter = ripgrepFileFilter(["!*.ts", "src/**"], undefined, ".");
    expect(filter("src/a.ts")).toBe(true);
    expect(filter("lib/a.ts")).toBe(false);
    expect(filter("lib/a.js")).toBe(false);
    const noTests = ripgrepFileFilter(["!test"], undefined, ".");
    expect(noTests("test/a.ts")).toBe(false);
    expect(noTests("src/test/a.ts")).toBe(false);
    expect(noTests("src/testing/a.ts")).toBe(true);
    // Directories above the search root are not judged.
    expect(ripgrepFileFilter(["!test"], undefined, "test")("test/a.ts")).toBe(true);
    expect(ripgrepFileFilter(["!build/"], undefined, ".")("build")).toBe(true);
  });

  it("applies types to names, unless an including glob picked the file", () => {
    const types = ripgrepFileFilter([], ["*.ts", "*.tsx"], ".");
    expect(types("a/b.tsx")).toBe(true);
    expect(types("a/b.js")).toBe(false);
    expect(ripgrepFileFilter(["*.md"], ["*.ts"], ".")("README.md")).toBe(true);
  });

  it("splits Claude Code's glob parameter on spaces and commas outside braces", () => {
    expect(splitGlobParameter("*.ts *.tsx")).toEqual(["*.ts", "*.tsx"]);
    expect(splitGlobParameter("*.{ts,tsx}")).toEqual(["*.{ts,tsx}"]);
    expect(splitGlobParameter(" *.js,*.mjs  !dist ")).toEqual(["*.js", "*.mjs", "!dist"]);
  });
});
