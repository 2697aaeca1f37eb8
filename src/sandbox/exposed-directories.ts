import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import type { HiddenPath } from "./bwrap-arguments.js";

/**
 * Checks the directories a command asked to see although something hidden
 * may cover them (`readOnlyPaths`, `writablePaths`) and returns their real
 * paths, since a mount covers the real path.
 *
 * Only absolute paths of existing directories: a relative path would depend
 * on planwright's own working directory, and what must never show (`.env`,
 * key files, credential files) are files. A path that is itself hidden is
 * refused, since binding it would undo the hiding; hidden paths further down
 * stay covered because bubblewrap mounts them after (see bwrapArguments).
 */
export async function exposedDirectories(
  requested: readonly string[] | undefined,
  hidden: readonly HiddenPath[],
  role: "read-only" | "writable",
): Promise<string[]> {
  const hiddenReal = new Set(hidden.map((entry) => entry.path));
  const resolved: string[] = [];
  for (const dir of requested ?? []) {
    if (!path.isAbsolute(dir)) throw new Error(`sandbox: the ${role} path "${dir}" is not absolute`);
    let real: string;
    try {
      real = await realpath(dir);
    } catch (error) {
      throw new Error(`sandbox: the ${role} path ${dir} does not exist`, { cause: error });
    }
    // Before the directory check, so asking for `.env` is reported as what it is.
    if (hiddenReal.has(real)) {
      throw new Error(
        `sandbox: refusing to expose ${dir} (${role}) to a command: it is one of the paths hidden from commands ` +
          "(planwright's data directory, .env, private key or a credential directory)",
      );
    }
    if (!(await stat(real)).isDirectory()) {
      throw new Error(`sandbox: the ${role} path ${dir} is not a directory; only directories can be exposed`);
    }
    resolved.push(real);
  }
  return [...new Set(resolved)];
}
