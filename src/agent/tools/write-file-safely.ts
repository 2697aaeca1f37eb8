import { constants } from "node:fs";
import { lstat, mkdir, open } from "node:fs/promises";
import path from "node:path";

export type PreparedTarget =
  | { ok: true; existed: false }
  | { ok: true; existed: true; previousSize: number }
  | { ok: false; message: string };

/**
 * Checks that `absolute` can be written as a regular file and creates its
 * parent directories. `shown` is the path as the model should read it.
 */
export async function prepareFileTarget(absolute: string, shown: string): Promise<PreparedTarget> {
  try {
    const stats = await lstat(absolute);
    if (stats.isDirectory()) return { ok: false, message: `${shown} is a directory; give the path of a file` };
    if (!stats.isFile()) return { ok: false, message: `${shown} is not a regular file (a device, socket or pipe); it cannot be written` };
    return { ok: true, existed: true, previousSize: stats.size };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  try {
    await mkdir(path.dirname(absolute), { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR" || code === "EEXIST") {
      return { ok: false, message: `cannot create ${shown}: part of its directory path is a file, not a directory` };
    }
    throw error;
  }
  return { ok: true, existed: false };
}

/**
 * Writes a path confinement already resolved. O_NOFOLLOW makes the write fail
 * rather than follow a symlink swapped in at the last moment since the check.
 */
export async function writeTextFile(absolute: string, content: string): Promise<void> {
  const handle = await open(absolute, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o666);
  try {
    await handle.writeFile(content, "utf8");
  } finally {
    await handle.close();
  }
}
