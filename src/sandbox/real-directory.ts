import { realpath, stat } from "node:fs/promises";

/**
 * The symlink-free path of an existing directory. Checked before spawning so
 * a missing worktree is reported as such, not as a confusing ENOENT for bash
 * or bwrap.
 */
export async function realDirectory(dir: string, role: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch (error) {
    throw new Error(`sandbox: the ${role} ${dir} does not exist`, { cause: error });
  }
  if (!(await stat(real)).isDirectory()) throw new Error(`sandbox: the ${role} ${dir} is not a directory`);
  return real;
}
