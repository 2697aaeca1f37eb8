import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { DirectoryEntry, GitHubPort } from "../github/port.js";

/**
 * The file-reading half of the GitHub port, served from a local checkout:
 * the CLI loads `.claude/agents` and the config the same way the app does.
 */
export function localRepositoryFiles(root: string): Pick<GitHubPort, "readFile" | "listDirectory"> {
  const inside = (relative: string) => {
    const absolute = path.resolve(root, relative);
    if (absolute !== root && !absolute.startsWith(root + path.sep)) throw new Error(`${relative} is outside ${root}`);
    return absolute;
  };
  return {
    async readFile(relative) {
      try {
        return await readFile(inside(relative), "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    },
    async listDirectory(relative) {
      try {
        const entries = await readdir(inside(relative), { withFileTypes: true });
        return entries.map(
          (e): DirectoryEntry => ({
            name: e.name,
            path: path.posix.join(relative, e.name),
            type: e.isDirectory() ? "dir" : e.isSymbolicLink() ? "symlink" : "file",
          }),
        );
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw error;
      }
    },
  };
}
