import { z } from "zod";
import { describeIssues } from "./zod-problems.js";

/** Where the repository's configuration lives, relative to the repository root. */
export const REPO_CONFIG_PATH = ".github/planwright.yml";

const commandName = z
  .string()
  .regex(/^\/?[a-z0-9][a-z0-9_-]*$/i, "must be a single word such as `backend` (a leading `/` is optional)")
  .transform((c) => c.replace(/^\//, "").toLowerCase());

const agentSettings = z.strictObject({
  /** Slash command that triggers this agent, without the slash. */
  command: commandName.optional(),
  /** Issue label that triggers this agent. */
  label: z.string().min(1).max(50).optional(),
  /** Set to false to switch a bundled or repository agent off in this repository. */
  enabled: z.boolean().default(true),
  /** Model for this agent; falls back to `model`, then to PLANWRIGHT_MODEL. */
  model: z.string().min(1).optional(),
});

const permissionLevel = z.enum(["write", "maintain", "admin"]);

const globPattern = z.string().min(1);

export const repoConfigSchema = z.strictObject({
  /** Per-agent overrides, keyed by agent name (`backend-engineer`). */
  agents: z.record(z.string().min(1), agentSettings).default({}),
  /** Model used for every agent in this repository unless an agent names its own. */
  model: z.string().min(1).optional(),
  docs: z
    .strictObject({
      plan: z.string().min(1).default("docs/plans/backend-plan.md"),
      intent: z.string().min(1).default("docs/intent/product-intent.md"),
      /** When true, a run stops before the agent starts if the plan or intent is missing. */
      required: z.boolean().default(false),
    })
    .prefault({}),
  commands: z
    .strictObject({
      /** Installs dependencies before the agent starts; detected from lockfiles when absent. */
      setup: z.string().min(1).optional(),
      /** The command planwright runs itself to verify the work; detected when absent. */
      test: z.string().min(1).optional(),
      /** Seconds the test command may take before it is stopped. */
      test_timeout: z.number().int().min(10).max(7200).default(900),
      /**
       * Which commands may reach the network: `all`, `setup-only` (the setup
       * command installs dependencies; the agent's commands and the test run are
       * cut off), or `none`. Enforced by bubblewrap only. (Not on/off: YAML 1.1
       * readers take those for booleans.)
       */
      network: z.enum(["all", "setup-only", "none"]).default("all"),
    })
    .prefault({}),
  limits: z
    .strictObject({
      turns: z.number().int().min(1).max(500).default(80),
      cost_usd: z.number().positive().max(500).default(10),
      minutes: z.number().int().min(1).max(360).default(45),
      fix_rounds: z.number().int().min(0).max(10).default(2),
    })
    .prefault({}),
  pull_request: z
    .strictObject({
      draft: z.boolean().default(false),
      branch_prefix: z
        .string()
        .regex(/^[A-Za-z0-9._/-]+\/$/, "must be a branch name prefix ending in `/`, such as `planwright/`")
        .default("planwright/"),
      labels: z.array(z.string().min(1).max(50)).max(20).default([]),
    })
    .prefault({}),
  review: z
    .strictObject({
      /** Start a revise run when a reviewer requests changes on planwright's pull request. */
      on_changes_requested: z.boolean().default(true),
    })
    .prefault({}),
  /** Minimum repository permission an actor needs to trigger a run. */
  permission: permissionLevel.default("write"),
  /** Bot accounts (like `renovate[bot]`) allowed to trigger runs. */
  allowed_bots: z.array(z.string().min(1)).default([]),
  /** Paths (globs) whose changes are never pushed. */
  protected_paths: z.array(globPattern).default([".github/workflows/**"]),
  /** Start automatically when a new issue mentions one of an agent's TRIGGERS words. */
  auto_trigger: z.boolean().default(false),
});

export type RepoConfig = z.output<typeof repoConfigSchema>;
export type PermissionLevel = z.output<typeof permissionLevel>;
export type NetworkPolicy = RepoConfig["commands"]["network"];

export type RepoConfigResult =
  | { ok: true; config: RepoConfig }
  | { ok: false; problems: string[] };

/**
 * Validates a parsed `.github/planwright.yml`. `null`/`undefined` (no file)
 * means every default. All problems are returned together.
 */
export function parseRepoConfig(raw: unknown): RepoConfigResult {
  const input = raw === null || raw === undefined ? {} : raw;
  if (typeof input !== "object" || Array.isArray(input)) {
    return { ok: false, problems: ["the file must be a YAML mapping of keys to values (for example `auto_trigger: false`)"] };
  }
  const result = repoConfigSchema.safeParse(input);
  if (result.success) return { ok: true, config: result.data };
  return { ok: false, problems: describeIssues(result.error.issues, repoConfigSchema) };
}

/** Every default: what a repository without `.github/planwright.yml` gets. */
export function defaultRepoConfig(): RepoConfig {
  return repoConfigSchema.parse({});
}
