import { compileGlob, hasGlobMagic } from "../agent/tools/glob-pattern.js";

/**
 * A test for "is this changed file protected", from the repository config's
 * globs (`.github/workflows/**`). A glob without wildcards also protects
 * everything below it, so `.github/workflows` means the directory, as people
 * expect from gitignore-like lists.
 */
export function protectedPathMatcher(globs: readonly string[]): (relativePath: string) => boolean {
  const tests = globs
    .map((glob) => glob.trim().replace(/^(\.\/|\/)+/, ""))
    .filter((glob) => glob !== "")
    .map((glob) => {
      const exact = compileGlob(glob);
      if (hasGlobMagic(glob)) return exact;
      const directory = `${glob.replace(/\/+$/, "")}/`;
      return (candidate: string) => exact(candidate) || candidate.startsWith(directory);
    });
  return (relativePath) => tests.some((test) => test(relativePath));
}
