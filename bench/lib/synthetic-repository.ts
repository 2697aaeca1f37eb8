import { spawn } from "node:child_process";

export interface SyntheticRepositoryShape {
  /** Files in the final tree. */
  files: number;
  /** Commits on `main`; each adds `files / commits` files and edits `editsPerCommit` existing ones. */
  commits: number;
  editsPerCommit: number;
}

/**
 * Fills a bare repository with a history shaped like a real project's: files
 * arrive over time in nested package directories and older files keep being
 * edited, so the pack holds many versions of blobs and trees, not one
 * snapshot. Written through `git fast-import` (one process, one pack), which
 * takes seconds where thousands of `git commit` calls would take minutes.
 */
export async function generateSyntheticRepository(bareRepo: string, shape: SyntheticRepositoryShape): Promise<void> {
  const stream = fastImport(bareRepo);
  const perCommit = Math.ceil(shape.files / shape.commits);
  let created = 0;
  for (let commit = 0; commit < shape.commits; commit++) {
    const changes: string[] = [];
    const adding = Math.min(perCommit, shape.files - created);
    for (let k = 0; k < adding; k++) {
      changes.push(modify(filePath(created), fileContent(created, 0)));
      created++;
    }
    for (let k = 0; k < shape.editsPerCommit && created > 0; k++) {
      // A fixed, scattered choice: older files keep changing, as in real projects.
      const file = (commit * 7919 + k * 104_729) % created;
      changes.push(modify(filePath(file), fileContent(file, commit + 1)));
    }
    // No `from`: within one stream fast-import continues the branch it holds in memory.
    await stream.write(commitCommand("refs/heads/main", undefined, commit, changes));
  }
  await stream.end();
}

/** Adds one commit on top of `main`, as a colleague pushing while planwright's mirror sleeps. */
export async function addUpstreamCommit(bareRepo: string, serial: number): Promise<void> {
  const stream = fastImport(bareRepo);
  // `^0` makes fast-import start from the branch as stored, not a new root.
  const change = modify(`packages/upstream/change-${serial}.ts`, `export const change${serial} = ${serial};\n`);
  await stream.write(commitCommand("refs/heads/main", "refs/heads/main^0", 1_000_000 + serial, [change]));
  await stream.end();
}

function filePath(index: number): string {
  return `packages/pkg${index % 20}/src/module${Math.floor(index / 20) % 15}/file${index}.ts`;
}

function fileContent(index: number, version: number): string {
  const lines = [`// file ${index}, revision ${version}`, `import { helper } from "../shared.js";`, ""];
  for (let line = 0; line < 10 + (index % 25); line++) {
    lines.push(`export function f${index}_${line}(input: number): number {`, `  return helper(input, ${line + version});`, "}");
  }
  return `${lines.join("\n")}\n`;
}

function modify(file: string, content: string): string {
  return `M 100644 inline ${file}\ndata ${Buffer.byteLength(content)}\n${content}\n`;
}

function commitCommand(ref: string, from: string | undefined, serial: number, changes: string[]): string {
  const message = `Change ${serial}\n`;
  const when = 1_600_000_000 + serial * 3_600;
  return (
    `commit ${ref}\n` +
    `author Dev ${serial % 7} <dev${serial % 7}@example.com> ${when} +0000\n` +
    `committer Dev ${serial % 7} <dev${serial % 7}@example.com> ${when} +0000\n` +
    `data ${Buffer.byteLength(message)}\n${message}` +
    (from ? `from ${from}\n` : "") +
    changes.join("") +
    "\n"
  );
}

function fastImport(bareRepo: string): { write(text: string): Promise<void>; end(): Promise<void> } {
  const child = spawn("git", ["fast-import", "--quiet"], { cwd: bareRepo, stdio: ["pipe", "inherit", "inherit"] });
  const exited = new Promise<void>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import exited with ${code}`))));
  });
  return {
    async write(text) {
      if (!child.stdin.write(text)) await new Promise((resolve) => child.stdin.once("drain", resolve));
    },
    async end() {
      child.stdin.end();
      await exited;
    },
  };
}
