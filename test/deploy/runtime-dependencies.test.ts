import { readdir, readFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(full)));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(full);
  }
  return out;
}

/**
 * Module specifiers that survive compilation. verbatimModuleSyntax is on, so
 * only `import type` / `export type` disappear; everything else, even
 * `import { type X }`, stays an import at run time.
 */
function runtimeSpecifiers(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

describe("runtime dependencies", () => {
  it("imports at run time only Node built-ins and packages in `dependencies`, which is all the Docker image installs", async () => {
    const pkg = JSON.parse(await readFile(path.join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const builtins = new Set(builtinModules);
    const offenders: string[] = [];
    let checked = 0;
    for (const file of await sourceFiles(path.join(root, "src"))) {
      for (const specifier of runtimeSpecifiers(file, await readFile(file, "utf8"))) {
        if (specifier.startsWith(".")) continue;
        checked++;
        const name = packageOf(specifier);
        if (specifier.startsWith("node:") || builtins.has(name)) continue;
        if (!(name in pkg.dependencies)) offenders.push(`${path.relative(root, file)} imports "${specifier}"`);
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(
      offenders,
      "these would be missing in the image (npm prune --omit=dev): move the package to dependencies or make it `import type`",
    ).toEqual([]);
  });

  it("notices a dev-only import, a dynamic import and a re-export, but not a type-only import", () => {
    const text = [
      'import type { Foo } from "vitest";',
      'export type { Bar } from "nock";',
      'import { baz } from "tsx";',
      'import { type Qux } from "@octokit/webhooks";',
      'export { x } from "@types/node";',
      'const m = await import("typescript");',
    ].join("\n");
    expect(runtimeSpecifiers("x.ts", text)).toEqual(["tsx", "@octokit/webhooks", "@types/node", "typescript"]);
  });
});
