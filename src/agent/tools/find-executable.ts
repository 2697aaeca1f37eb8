import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import path from "node:path";

/** The first executable file called `name` on PATH, like `which`. */
export async function findExecutable(name: string, searchPath = process.env.PATH ?? ""): Promise<string | undefined> {
  for (const directory of searchPath.split(path.delimiter)) {
    if (directory === "") continue;
    const candidate = path.join(directory, name);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
