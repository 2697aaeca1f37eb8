import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultRepoConfig } from "../../src/config/repo-config.js";
import { detectCommands, resolveCommands } from "../../src/workspace/detect-commands.js";

const dirs: string[] = [];

/** A temporary repository root holding `files` (path → content). */
async function fixture(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "planwright-detect-"));
  dirs.push(dir);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), content);
  }
  return dir;
}

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const withTestScript = JSON.stringify({ name: "x", scripts: { test: "vitest run" } });
const npmPlaceholder = JSON.stringify({ name: "x", scripts: { test: 'echo "Error: no test specified" && exit 1' } });

describe("detectCommands: node", () => {
  it("uses npm ci and npm test with package-lock.json and a test script", async () => {
    const dir = await fixture({ "package.json": withTestScript, "package-lock.json": "{}" });
    const result = await detectCommands(dir);
    expect(result).toMatchObject({ setup: "npm ci", test: "npm test" });
    expect(result.reason).toBe("package.json has a test script; package-lock.json → npm");
  });

  it("uses pnpm with pnpm-lock.yaml", async () => {
    const dir = await fixture({ "package.json": withTestScript, "pnpm-lock.yaml": "lockfileVersion: 9" });
    expect(await detectCommands(dir)).toMatchObject({ setup: "pnpm install --frozen-lockfile", test: "pnpm test" });
  });

  it("uses yarn with yarn.lock, and --immutable for Yarn 2+", async () => {
    const classic = await fixture({ "package.json": withTestScript, "yarn.lock": "" });
    expect(await detectCommands(classic)).toMatchObject({ setup: "yarn install --frozen-lockfile", test: "yarn test" });
    const berry = await fixture({ "package.json": withTestScript, "yarn.lock": "", ".yarnrc.yml": "nodeLinker: node-modules" });
    expect(await detectCommands(berry)).toMatchObject({ setup: "yarn install --immutable", test: "yarn test" });
  });

  it("uses npm install without a lockfile", async () => {
    const dir = await fixture({ "package.json": withTestScript });
    const result = await detectCommands(dir);
    expect(result).toMatchObject({ setup: "npm install", test: "npm test" });
    expect(result.reason).toContain("no lockfile");
  });

  it("lets packageManager pick among several lockfiles", async () => {
    const manifest = JSON.stringify({ scripts: { test: "jest" }, packageManager: "yarn@1.22.22" });
    const dir = await fixture({ "package.json": manifest, "package-lock.json": "{}", "yarn.lock": "" });
    expect(await detectCommands(dir)).toMatchObject({ setup: "yarn install --frozen-lockfile", test: "yarn test" });
  });

  it("ignores npm's default placeholder test script but still sets up", async () => {
    const dir = await fixture({ "package.json": npmPlaceholder, "package-lock.json": "{}" });
    const result = await detectCommands(dir);
    expect(result).toMatchObject({ setup: "npm ci", test: null });
    expect(result.reason).toContain("placeholder");
  });

  it("has no test without a test script, and survives an invalid package.json", async () => {
    const noScript = await fixture({ "package.json": JSON.stringify({ name: "x", scripts: { build: "tsc" } }) });
    expect(await detectCommands(noScript)).toMatchObject({ setup: "npm install", test: null });
    const broken = await fixture({ "package.json": "{ not json" });
    const result = await detectCommands(broken);
    expect(result).toMatchObject({ setup: "npm install", test: null });
    expect(result.reason).toContain("not valid JSON");
  });
});

describe("detectCommands: python", () => {
  it("finds pytest.ini", async () => {
    const dir = await fixture({ "pytest.ini": "[pytest]\n" });
    const result = await detectCommands(dir);
    expect(result).toMatchObject({ setup: null, test: "pytest" });
    expect(result.reason).toContain("pytest.ini");
  });

  it("finds [tool.pytest.ini_options] in pyproject.toml and installs the project", async () => {
    const dir = await fixture({
      "pyproject.toml": '[project]\nname = "x"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n',
    });
    expect(await detectCommands(dir)).toMatchObject({ setup: "pip install -e .", test: "pytest" });
  });

  it("finds [tool:pytest] in setup.cfg, with setup.py and requirements.txt", async () => {
    const dir = await fixture({
      "setup.cfg": "[metadata]\nname = x\n\n[tool:pytest]\ntestpaths = tests\n",
      "setup.py": "from setuptools import setup\nsetup()\n",
      "requirements.txt": "pytest\n",
    });
    const result = await detectCommands(dir);
    expect(result).toMatchObject({ setup: "pip install -r requirements.txt && pip install -e .", test: "pytest" });
    expect(result.reason).toContain("setup.cfg has [tool:pytest]");
  });

  it("finds test files in a nested tests directory", async () => {
    const dir = await fixture({ "requirements.txt": "flask\n", "tests/unit/test_app.py": "def test_x(): pass\n" });
    const result = await detectCommands(dir);
    expect(result).toMatchObject({ setup: "pip install -r requirements.txt", test: "pytest" });
    expect(result.reason).toContain("tests/");
  });

  it("finds conftest.py in tests", async () => {
    const dir = await fixture({ "tests/conftest.py": "" });
    expect((await detectCommands(dir)).test).toBe("pytest");
  });

  it("does not run pytest for a Python project with neither configuration nor tests", async () => {
    const dir = await fixture({ "requirements.txt": "flask\n", "app.py": "print(1)\n", "tests/README": "later" });
    expect(await detectCommands(dir)).toMatchObject({ setup: "pip install -r requirements.txt", test: null });
  });
});

describe("detectCommands: go, rust, make", () => {
  it("uses go test for go.mod", async () => {
    const dir = await fixture({ "go.mod": "module example.com/x\n\ngo 1.22\n" });
    const result = await detectCommands(dir);
    expect(result).toMatchObject({ setup: "go mod download", test: "go test ./..." });
    expect(result.reason).toContain("go.mod");
  });

  it("uses cargo test for Cargo.toml", async () => {
    const dir = await fixture({ "Cargo.toml": '[package]\nname = "x"\nversion = "0.1.0"\n' });
    expect(await detectCommands(dir)).toMatchObject({ setup: "cargo fetch", test: "cargo test" });
  });

  it("uses make test for a Makefile test target", async () => {
    const dir = await fixture({ Makefile: ".PHONY: test\n\nbuild:\n\tcc main.c\n\ntest: build\n\t./run-tests\n" });
    const result = await detectCommands(dir);
    expect(result).toMatchObject({ setup: null, test: "make test" });
    expect(result.reason).toContain("Makefile has a test target");
  });

  it("recognises test among several targets, and not a variable named test", async () => {
    const several = await fixture({ Makefile: "lint test: deps\n\techo ok\n" });
    expect((await detectCommands(several)).test).toBe("make test");
    const variable = await fixture({ Makefile: "test := unit\ntest ?= more\n.PHONY: test\nall:\n\techo $(test)\n" });
    expect((await detectCommands(variable)).test).toBeNull();
  });

  it("finds nothing in an empty repository, and says what it looked for", async () => {
    const dir = await fixture({ "README.md": "# hi\n" });
    const result = await detectCommands(dir);
    expect(result).toMatchObject({ setup: null, test: null });
    expect(result.reason).toMatch(/no test command found.*package\.json.*Makefile.*pytest.*go\.mod.*Cargo\.toml/);
  });
});

describe("detectCommands: precedence", () => {
  it("prefers a package.json test script over everything else", async () => {
    const dir = await fixture({
      "package.json": withTestScript,
      "package-lock.json": "{}",
      Makefile: "test:\n\tnpm test\n",
      "pytest.ini": "[pytest]\n",
      "go.mod": "module x\n",
    });
    expect(await detectCommands(dir)).toMatchObject({ setup: "npm ci", test: "npm test" });
  });

  it("prefers a Makefile test target over inferred pytest, go and cargo, setting up the first ecosystem", async () => {
    const dir = await fixture({
      Makefile: "test:\n\tgo test -race ./...\n",
      "go.mod": "module x\n",
      "Cargo.toml": "[package]\n",
    });
    const result = await detectCommands(dir);
    expect(result).toMatchObject({ setup: "go mod download", test: "make test" });
    expect(result.reason).toBe("Makefile has a test target; go.mod → go");
  });

  it("falls through a placeholder npm script to pytest, keeping the Python setup", async () => {
    const dir = await fixture({
      "package.json": npmPlaceholder,
      "pytest.ini": "[pytest]\n",
      "requirements.txt": "pytest\n",
    });
    expect(await detectCommands(dir)).toMatchObject({ setup: "pip install -r requirements.txt", test: "pytest" });
  });

  it("prefers pytest over go over cargo", async () => {
    const all = await fixture({ "pytest.ini": "", "go.mod": "module x\n", "Cargo.toml": "" });
    expect((await detectCommands(all)).test).toBe("pytest");
    const goAndRust = await fixture({ "go.mod": "module x\n", "Cargo.toml": "" });
    expect((await detectCommands(goAndRust)).test).toBe("go test ./...");
  });
});

describe("resolveCommands", () => {
  it("prefers the repository's configured commands over detection", async () => {
    const dir = await fixture({ "package.json": withTestScript, "package-lock.json": "{}" });
    const commands = { ...defaultRepoConfig().commands, setup: "make deps", test: "make check" };
    const result = await resolveCommands(commands, dir);
    expect(result).toEqual({ setup: "make deps", test: "make check", reason: "setup and test commands from .github/planwright.yml" });
  });

  it("detects whatever the configuration leaves out", async () => {
    const dir = await fixture({ "package.json": withTestScript, "pnpm-lock.yaml": "" });
    const onlyTest = await resolveCommands({ test: "pnpm vitest run --reporter=dot" }, dir);
    expect(onlyTest).toMatchObject({ setup: "pnpm install --frozen-lockfile", test: "pnpm vitest run --reporter=dot" });
    expect(onlyTest.reason).toMatch(/^test command from \.github\/planwright\.yml; detected: /);
    const nothing = await resolveCommands(defaultRepoConfig().commands, dir);
    expect(nothing).toEqual(await detectCommands(dir));
  });
});
