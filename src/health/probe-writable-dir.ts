import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";

export type WritableProbe = { writable: true; created: boolean } | { writable: false; code: string; message: string };

/**
 * Creates `dir` when missing, then writes and removes a small file in it.
 * Permission bits alone can't answer this: root ignores them, and a read-only
 * mount or a full disk only shows up on an actual write.
 */
export async function probeWritableDir(dir: string): Promise<WritableProbe> {
  // A unique name, so two probes at once (a readiness check during `doctor`) never collide.
  const probe = path.join(dir, `.planwright-probe-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    const created = (await mkdir(dir, { recursive: true })) !== undefined;
    await writeFile(probe, "ok");
    await rm(probe, { force: true });
    return { writable: true, created };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "EUNKNOWN";
    return { writable: false, code, message: error instanceof Error ? error.message : String(error) };
  }
}
