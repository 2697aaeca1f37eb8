import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { RepoConfig } from "../config/repo-config.js";

/** The commands planwright runs around the agent: setup before it starts, test after it finishes. */
export interface DetectedCommands {
  setup: string | null;
  test: string | null;
  /** What was found, in words a maintainer can check against the repository. */
  reason: string;
}

interface Ecosystem {
  setup: string | null;
  test: string | null;
  /** Why this ecosystem's commands look the way they do. */
  reason: string;
}

/**
 * Guesses the setup and test commands from the files at the worktree's root.
 *
 * Test command precedence, first match wins:
 *   1. package.json `test` script (not npm's "no test specified" placeholder) → `<pm> test`
 *   2. Makefile target `test` → `make test`
 *   3. pytest configuration or test files → `pytest`
 *   4. go.mod → `go test ./...`
 *   5. Cargo.toml → `cargo test`
 * A command the repository wrote down (a script, a make target) beats one
 * inferred from the language, because it knows about flags, services and
 * several languages at once. The setup command belongs to the ecosystem the
 * test command came from; for `make test` or no test at all it is the first
 * ecosystem found in the order node, python, go, rust.
 */
export async function detectCommands(worktree: string): Promise<DetectedCommands> {
  const [node, makeTest, python, go, rust] = await Promise.all([
    detectNode(worktree),
    hasMakeTestTarget(worktree),
    detectPython(worktree),
    detectSimple(worktree, "go.mod", "go mod download", "go test ./...", "go.mod → go"),
    detectSimple(worktree, "Cargo.toml", "cargo fetch", "cargo test", "Cargo.toml → cargo"),
  ]);
  const ecosystems = [node, python, go, rust].filter((e): e is Ecosystem => e !== null);
  const firstSetup = ecosystems.find((e) => e.setup !== null) ?? null;

  if (node?.test) return node;
  if (makeTest) {
    const reason = [`${makeTest} has a test target`, firstSetup?.reason].filter(Boolean).join("; ");
    return { setup: firstSetup?.setup ?? null, test: "make test", reason };
  }
  for (const ecosystem of [python, go, rust]) {
    if (ecosystem?.test) return ecosystem;
  }
  const parts = ["no test command found (looked for a package.json test script, a Makefile test target, pytest configuration or tests, go.mod and Cargo.toml)"];
  if (firstSetup) parts.push(firstSetup.reason);
  return { setup: firstSetup?.setup ?? null, test: null, reason: parts.join("; ") };
}

/**
 * The repository's configured commands where it has them (`commands.setup`,
 * `commands.test` in .github/planwright.yml), detection for the rest.
 */
export async function resolveCommands(
  commands: Pick<RepoConfig["commands"], "setup" | "test">,
  worktree: string,
): Promise<DetectedCommands> {
  const setup = commands.setup?.trim() || null;
  const test = commands.test?.trim() || null;
  if (setup && test) return { setup, test, reason: "setup and test commands from .github/planwright.yml" };
  const detected = await detectCommands(worktree);
  const configured = setup ? "setup command" : test ? "test command" : null;
  return {
    setup: setup ?? detected.setup,
    test: test ?? detected.test,
    reason: configured ? `${configured} from .github/planwright.yml; detected: ${detected.reason}` : detected.reason,
  };
}

// npm init writes this placeholder; running it would only ever fail.
const NPM_PLACEHOLDER_TEST = /no test specified/i;

async function detectNode(worktree: string): Promise<Ecosystem | null> {
  const manifest = await readText(worktree, "package.json");
  if (manifest === null) return null;
  const pm = await packageManager(worktree, manifest);
  let testScript: unknown;
  let manifestNote: string | null = null;
  try {
    const parsed: unknown = JSON.parse(manifest);
    const scripts = isRecord(parsed) ? parsed["scripts"] : undefined;
    testScript = isRecord(scripts) ? scripts["test"] : undefined;
  } catch {
    manifestNote = "package.json is not valid JSON";
  }
  let test: string | null = null;
  let testNote: string;
  if (manifestNote) {
    testNote = manifestNote;
  } else if (typeof testScript !== "string" || testScript.trim() === "") {
    testNote = "package.json has no test script";
  } else if (NPM_PLACEHOLDER_TEST.test(testScript)) {
    testNote = "package.json's test script is npm's \"no test specified\" placeholder";
  } else {
    test = `${pm.name} test`;
    testNote = "package.json has a test script";
  }
  return { setup: pm.setup, test, reason: `${testNote}; ${pm.reason}` };
}

interface PackageManager {
  name: "npm" | "pnpm" | "yarn";
  setup: string;
  reason: string;
}

const LOCKFILES = [
  { file: "pnpm-lock.yaml", name: "pnpm" },
  { file: "yarn.lock", name: "yarn" },
  { file: "package-lock.json", name: "npm" },
  { file: "npm-shrinkwrap.json", name: "npm" },
] as const;

async function packageManager(worktree: string, manifest: string): Promise<PackageManager> {
  const found = [];
  for (const lock of LOCKFILES) {
    if (await isFile(worktree, lock.file)) found.push(lock);
  }
  // Several lockfiles happen after a migration; corepack's `packageManager` field says which one is current.
  const declared = /"packageManager"\s*:\s*"(npm|pnpm|yarn)@/.exec(manifest)?.[1];
  const lock = found.find((l) => l.name === declared) ?? found[0];
  if (!lock) return { name: "npm", setup: "npm install", reason: "no lockfile → npm install" };
  const reason = `${lock.file} → ${lock.name}`;
  switch (lock.name) {
    case "pnpm":
      return { name: "pnpm", setup: "pnpm install --frozen-lockfile", reason };
    case "yarn":
      // Yarn 2+ (recognised by .yarnrc.yml) spells it --immutable and only warns about --frozen-lockfile.
      return (await isFile(worktree, ".yarnrc.yml"))
        ? { name: "yarn", setup: "yarn install --immutable", reason: `${reason} (Yarn 2+, .yarnrc.yml)` }
        : { name: "yarn", setup: "yarn install --frozen-lockfile", reason };
    case "npm":
      return { name: "npm", setup: "npm ci", reason };
  }
}

async function hasMakeTestTarget(worktree: string): Promise<string | null> {
  // GNU make's lookup order.
  for (const name of ["GNUmakefile", "makefile", "Makefile"]) {
    const text = await readText(worktree, name);
    if (text === null) continue;
    // `test:` or `test::`, possibly among other targets on the line; not `test := value` or `test ?= value`.
    return /^(?:[^\s:#=]+[ \t]+)*test(?:[ \t]+[^\s:#=]+)*[ \t]*::?(?!=)/m.test(text) ? name : null;
  }
  return null;
}

async function detectPython(worktree: string): Promise<Ecosystem | null> {
  const [pyproject, setupCfg, toxIni, pytestIni, setupPy, requirements, conftest] = await Promise.all([
    readText(worktree, "pyproject.toml"),
    readText(worktree, "setup.cfg"),
    readText(worktree, "tox.ini"),
    isFile(worktree, "pytest.ini"),
    isFile(worktree, "setup.py"),
    isFile(worktree, "requirements.txt"),
    isFile(worktree, "conftest.py"),
  ]);
  const testsDir = await findPytestDir(worktree);
  const evidence = pytestIni
    ? "pytest.ini"
    : pyproject !== null && /^\[tool\.pytest\b/m.test(pyproject)
      ? "pyproject.toml has [tool.pytest]"
      : setupCfg !== null && /^\[tool:pytest\]/m.test(setupCfg)
        ? "setup.cfg has [tool:pytest]"
        : toxIni !== null && /^\[pytest\]/m.test(toxIni)
          ? "tox.ini has [pytest]"
          : conftest
            ? "conftest.py"
            : testsDir;

  const installable = setupPy || (pyproject !== null && /^\[(?:project|build-system)\]/m.test(pyproject));
  const steps: string[] = [];
  const found: string[] = [];
  if (requirements) {
    steps.push("pip install -r requirements.txt");
    found.push("requirements.txt");
  }
  if (installable) {
    steps.push("pip install -e .");
    found.push(setupPy ? "setup.py" : "pyproject.toml");
  }
  if (!evidence && steps.length === 0 && pyproject === null) return null;

  const parts = [evidence ? `${evidence} → pytest` : "Python project without pytest configuration or tests"];
  if (found.length > 0) parts.push(`${found.join(" and ")} → ${steps.join(" && ")}`);
  return { setup: steps.length > 0 ? steps.join(" && ") : null, test: evidence ? "pytest" : null, reason: parts.join("; ") };
}

const PYTEST_FILE = /^(?:test_.*\.py|.*_test\.py|conftest\.py)$/;

/** `tests/` or `test/` holding pytest files, a few levels down at most. */
async function findPytestDir(worktree: string): Promise<string | null> {
  for (const dir of ["tests", "test"]) {
    if (await containsPytestFile(path.join(worktree, dir), 3)) return `${dir}/ has pytest files`;
  }
  return null;
}

async function containsPytestFile(dir: string, depth: number): Promise<boolean> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  if (entries.some((e) => e.isFile() && PYTEST_FILE.test(e.name))) return true;
  if (depth <= 1) return false;
  for (const entry of entries) {
    if (entry.isDirectory() && !entry.name.startsWith(".") && entry.name !== "__pycache__") {
      if (await containsPytestFile(path.join(dir, entry.name), depth - 1)) return true;
    }
  }
  return false;
}

async function detectSimple(
  worktree: string,
  marker: string,
  setup: string,
  test: string,
  reason: string,
): Promise<Ecosystem | null> {
  return (await isFile(worktree, marker)) ? { setup, test, reason } : null;
}

async function readText(worktree: string, file: string): Promise<string | null> {
  try {
    return await readFile(path.join(worktree, file), "utf8");
  } catch {
    return null;
  }
}

async function isFile(worktree: string, file: string): Promise<boolean> {
  try {
    return (await stat(path.join(worktree, file))).isFile();
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
