import { REPO_CONFIG_PATH, type RepoConfig } from "../config/repo-config.js";
import { AgentDefinitionError } from "../errors.js";
import type { GitHubPort } from "../github/port.js";
import type { AgentRoute } from "../triggers/trigger.js";
import { parseAgentDefinition, type AgentDefinition } from "./definition.js";

/** Where a repository keeps its own agent definitions, as Claude Code does. */
export const REPO_AGENTS_DIR = ".claude/agents";

/** `backend-engineer` → `backend`: the role suffix adds nothing to a command. */
export function defaultCommandFor(name: string): string {
  const stripped = name.replace(/-(?:engineer|agent|developer)$/, "");
  return stripped === "" ? name : stripped;
}

/** The agents available in one repository: bundled ones, overridden by the repository's own. */
export class AgentRegistry {
  readonly #agents = new Map<string, AgentDefinition>();

  /** Later definitions replace earlier ones with the same name. */
  constructor(definitions: readonly AgentDefinition[]) {
    for (const definition of definitions) this.#agents.set(definition.name, definition);
  }

  /**
   * Bundled agents plus the repository's `.claude/agents/*.md` from its default branch.
   * A definition that doesn't parse is skipped and described in `problems`; a failing
   * GitHub call is not, since running the bundled agent in place of the repository's
   * own would silently do the wrong thing.
   */
  static async forRepository(
    port: Pick<GitHubPort, "listDirectory" | "readFile">,
    bundled: readonly AgentDefinition[],
  ): Promise<{ registry: AgentRegistry; problems: string[] }> {
    const problems: string[] = [];
    const entries = (await port.listDirectory(REPO_AGENTS_DIR))
      .filter((entry) => entry.type === "file" && entry.name.toLowerCase().endsWith(".md"))
      .sort((a, b) => a.path.localeCompare(b.path));
    const fromRepo = new Map<string, AgentDefinition>();
    for (const entry of entries) {
      const text = await port.readFile(entry.path);
      if (text === undefined) {
        problems.push(`${entry.path}: listed in ${REPO_AGENTS_DIR} but could not be read; skipped`);
        continue;
      }
      let definition: AgentDefinition;
      try {
        definition = parseAgentDefinition(text, entry.path);
      } catch (error) {
        if (!(error instanceof AgentDefinitionError)) throw error;
        problems.push(`${error.message} (this agent was skipped)`);
        continue;
      }
      const earlier = fromRepo.get(definition.name);
      if (earlier) {
        problems.push(
          `${entry.path}: \`${definition.name}\` is already defined in ${earlier.source}; skipped (rename one of them)`,
        );
        continue;
      }
      fromRepo.set(definition.name, definition);
    }
    return { registry: new AgentRegistry([...bundled, ...fromRepo.values()]), problems };
  }

  get(name: string): AgentDefinition | undefined {
    return this.#agents.get(name);
  }

  /** Every agent, sorted by name. */
  list(): AgentDefinition[] {
    return [...this.#agents.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** How each enabled agent is reached: its command and label, from config or from its name. */
  routes(config: RepoConfig): AgentRoute[] {
    const routes: AgentRoute[] = [];
    for (const agent of this.list()) {
      const settings = config.agents[agent.name];
      if (settings?.enabled === false) continue;
      const fallback = defaultCommandFor(agent.name);
      routes.push({
        name: agent.name,
        command: settings?.command ?? fallback,
        label: settings?.label ?? fallback,
        triggerWords: agent.triggers,
      });
    }
    return routes;
  }

  /** What is wrong with the config's `agents` section for these agents; empty when nothing is. */
  problems(config: RepoConfig): string[] {
    const problems: string[] = [];
    const known = this.list().map((a) => a.name);
    for (const name of Object.keys(config.agents)) {
      if (!this.#agents.has(name)) {
        problems.push(`\`agents.${name}\` names no agent; known agents: ${known.join(", ") || "(none)"}`);
      }
    }
    const routes = this.routes(config);
    problems.push(...collisions(routes, "command", (r) => r.command.toLowerCase(), (v) => `/${v}`));
    // GitHub matches label names without regard to case.
    problems.push(...collisions(routes, "label", (r) => r.label.toLowerCase(), (v) => `\`${v}\``));
    return problems;
  }
}

function collisions(
  routes: readonly AgentRoute[],
  what: "command" | "label",
  keyOf: (route: AgentRoute) => string,
  show: (value: string) => string,
): string[] {
  const byKey = new Map<string, string[]>();
  for (const route of routes) {
    const key = keyOf(route);
    byKey.set(key, [...(byKey.get(key) ?? []), route.name]);
  }
  const problems: string[] = [];
  for (const [key, names] of byKey) {
    if (names.length < 2) continue;
    const listed = names.map((n) => `\`${n}\``).join(names.length === 2 ? " and " : ", ");
    problems.push(
      `agents ${listed} ${names.length === 2 ? "both" : "all"} use the ${what} ${show(key)}; ` +
        `in ${REPO_CONFIG_PATH}, give ${names.length === 2 ? "one of them its" : "all but one of them their"} own ` +
        `\`agents.<name>.${what}\`, or set \`enabled: false\` on an agent you don't need`,
    );
  }
  return problems;
}
