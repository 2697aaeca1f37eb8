import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseEnv } from "node:util";
import { ConfigurationError } from "../errors.js";

/**
 * The variables of `<cwd>/.env`, or none when there is no such file. The CLI
 * commands apply them over the process environment because Probot's own CLI
 * (`npm start`) does, so every command sees the settings the server sees.
 */
export async function readDotEnv(cwd: string): Promise<Record<string, string>> {
  const file = path.join(cwd, ".env");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new ConfigurationError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(parseEnv(text))) if (value !== undefined) values[name] = value;
  return values;
}
