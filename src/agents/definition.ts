import { parseDocument } from "yaml";
import { AgentDefinitionError, messageOf } from "../errors.js";

/** Claude Code's tool names, so definitions written for Claude Code work unchanged. */
export const TOOL_NAMES = ["Read", "Write", "Edit", "Bash", "Glob", "Grep"] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/**
 * Claude Code tools planwright does not provide. A definition written for
 * Claude Code may list them; they are left out (and reported) rather than
 * making the whole definition unusable.
 */
export const UNPROVIDED_CLAUDE_CODE_TOOLS = [
  "Task",
  "Agent",
  "TodoWrite",
  "TodoRead",
  "WebFetch",
  "WebSearch",
  "NotebookEdit",
  "NotebookRead",
  "MultiEdit",
  "LS",
  "BashOutput",
  "KillShell",
  "KillBash",
  "ExitPlanMode",
  "SlashCommand",
  "Skill",
] as const;

/** An agent definition in the Claude Code subagent format, ready to run. */
export interface AgentDefinition {
  /** Lowercase letters, digits and hyphens (`backend-engineer`). */
  name: string;
  description: string;
  tools: ToolName[];
  /** Claude Code tools the definition asks for that planwright does not provide (dropped). */
  unsupportedTools: string[];
  model?: string;
  /** The instructions: everything below the frontmatter. */
  body: string;
  /** Words from the description's `TRIGGERS:` line. */
  triggers: string[];
  /** Repository-relative paths from the description's `READS:` line. */
  reads: string[];
  /** Where the definition came from, for messages (`.claude/agents/foo.md`). */
  source: string;
}

const NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Parses one definition file; throws `AgentDefinitionError` saying what to fix. */
export function parseAgentDefinition(text: string, source: string): AgentDefinition {
  const problem: Problem = (message) => new AgentDefinitionError(source, message);
  const { yaml, body, yamlStartLine } = splitFrontmatter(text, problem);
  const data = parseFrontmatter(yaml, yamlStartLine, problem);

  const name = data["name"];
  if (name === undefined || name === null || name === "") {
    throw problem("missing `name` in the frontmatter: add a line such as `name: my-agent`");
  }
  if (typeof name !== "string" || !NAME_PATTERN.test(name)) {
    const slug = typeof name === "string" ? slugify(name) : "";
    const example = slug !== "" && slug !== name ? slug : "my-agent";
    throw problem(
      `\`name\` ${JSON.stringify(name)} is not valid: use lowercase letters, digits and hyphens, such as \`${example}\``,
    );
  }

  const description = data["description"];
  if (typeof description !== "string" || description.trim() === "") {
    throw problem(
      "missing `description` in the frontmatter: add `description:` saying what the agent does and when to use it " +
        "(a `|` block may hold TRIGGERS: and READS: lines)",
    );
  }

  const model = data["model"];
  if (model !== undefined && model !== null && (typeof model !== "string" || model.trim() === "")) {
    throw problem("`model` must be a model name such as `claude-sonnet-4-5`, or be left out");
  }

  const trimmedDescription = description.trim();
  const definition: AgentDefinition = {
    name,
    description: trimmedDescription,
    ...parseTools(data["tools"], problem),
    body,
    triggers: parseTriggers(trimmedDescription),
    reads: parseReads(trimmedDescription),
    source,
  };
  // Claude Code's `inherit` means "whatever the caller uses", which is what leaving it out means here.
  if (typeof model === "string" && model.trim() !== "inherit") definition.model = model.trim();
  return definition;
}

type Problem = (message: string) => AgentDefinitionError;

function splitFrontmatter(text: string, problem: Problem): { yaml: string; body: string; yamlStartLine: number } {
  const lines = text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n").split("\n");
  let start = 0;
  while (start < lines.length && lines[start]?.trim() === "") start++;
  if (lines[start]?.trimEnd() !== "---") {
    throw problem("missing frontmatter: begin the file with a `---` line, then `name:` and `description:` lines, then another `---` line");
  }
  let end = start + 1;
  while (end < lines.length && lines[end]?.trimEnd() !== "---") end++;
  if (end >= lines.length) {
    throw problem("the frontmatter is never closed: add a `---` line after the YAML, before the instructions");
  }
  return {
    yaml: lines.slice(start + 1, end).join("\n"),
    body: lines.slice(end + 1).join("\n").trim(),
    yamlStartLine: start + 2,
  };
}

function parseFrontmatter(yaml: string, firstLine: number, problem: Problem): Record<string, unknown> {
  const doc = parseDocument(yaml, { prettyErrors: false });
  const error = doc.errors[0];
  if (error) {
    const line = yaml.slice(0, error.pos[0]).split("\n").length;
    const where = ` at line ${firstLine + line - 1}`;
    throw problem(`the frontmatter is not valid YAML${where}: ${firstSentence(error.message)}`);
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (error) {
    // Raised for alias bombs and similar, which parse but cannot be expanded safely.
    throw problem(`the frontmatter is not usable YAML: ${firstSentence(messageOf(error))}`);
  }
  if (data === null || data === undefined) {
    throw problem("the frontmatter is empty: add `name:` and `description:` lines between the `---` lines");
  }
  if (typeof data !== "object" || Array.isArray(data)) {
    throw problem("the frontmatter must be YAML `key: value` lines such as `name: my-agent`");
  }
  return data as Record<string, unknown>;
}

function firstSentence(message: string): string {
  return message.split("\n")[0]?.trim() ?? message;
}

function parseTools(raw: unknown, problem: Problem): { tools: ToolName[]; unsupportedTools: string[] } {
  // Claude Code gives an agent every tool when `tools:` is left out.
  if (raw === undefined || raw === null) return { tools: [...TOOL_NAMES], unsupportedTools: [] };
  let names: string[];
  if (typeof raw === "string") {
    names = raw.split(",").map((t) => t.trim()).filter((t) => t !== "");
  } else if (Array.isArray(raw) && raw.every((t): t is string => typeof t === "string")) {
    names = raw.map((t) => t.trim()).filter((t) => t !== "");
  } else {
    throw problem(`\`tools\` must be a comma-separated line or a YAML list of tool names: ${TOOL_NAMES.join(", ")}`);
  }
  const unsupportedTools = names.filter((n) => isUnprovided(n));
  const unknown = names.filter((n) => !isToolName(n) && !isUnprovided(n));
  if (unknown.length > 0) {
    const described = unknown.map((n) => {
      const near = TOOL_NAMES.find((t) => t.toLowerCase() === n.toLowerCase());
      return near ? `\`${n}\` (did you mean \`${near}\`?)` : `\`${n}\``;
    });
    throw problem(
      `unknown tool${unknown.length > 1 ? "s" : ""} ${described.join(", ")} in \`tools\`: ` +
        `planwright provides ${TOOL_NAMES.join(", ")}; remove the others or leave \`tools\` out to allow all of them`,
    );
  }
  return { tools: [...new Set(names.filter(isToolName))], unsupportedTools };
}

function isUnprovided(name: string): boolean {
  return (UNPROVIDED_CLAUDE_CODE_TOOLS as readonly string[]).includes(name) || name.startsWith("mcp__");
}

function isToolName(name: string): name is ToolName {
  return (TOOL_NAMES as readonly string[]).includes(name);
}

function slugify(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** Words from a `TRIGGERS:` line: quoted words, or comma-separated ones. */
export function parseTriggers(description: string): string[] {
  const seen = new Set<string>();
  const words: string[] = [];
  for (const word of splitList(labelledValue(description, "TRIGGERS"))) {
    const key = word.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    words.push(word);
  }
  return words;
}

/** Paths from a `READS:` line, made repository-relative. */
export function parseReads(description: string): string[] {
  const paths = splitList(labelledValue(description, "READS"))
    .map((p) => p.replace(/^(?:\.?\/)+/, ""))
    .filter((p) => p !== "");
  return [...new Set(paths)];
}

/**
 * The text after `LABEL:` in a description. Accepts the label at the start of a line
 * (any case, optionally bulleted or bold), or in capitals mid-line for descriptions folded
 * onto one line; a value left empty may continue as a `- item` list on the lines below.
 */
function labelledValue(description: string, label: string): string {
  const atLineStart = new RegExp(`^\\s*(?:[-*]\\s+)?\\**${label}\\**\\s*:\\**\\s*(.*)$`, "i");
  const midLine = new RegExp(`(?:^|\\s)${label}\\s*:\\s*(.*)$`);
  const lines = description.replace(/\r\n?/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const match = atLineStart.exec(line) ?? midLine.exec(line);
    if (!match) continue;
    const value = cutAtNextLabel(match[1] ?? "");
    if (value.trim() !== "") return value;
    const items: string[] = [];
    for (let j = i + 1; j < lines.length; j++) {
      const item = /^\s*[-*]\s+(.+)$/.exec(lines[j] ?? "");
      if (!item) break;
      items.push(item[1] ?? "");
    }
    return items.join(", ");
  }
  return "";
}

function cutAtNextLabel(value: string): string {
  const next = /\s[A-Z][A-Z ]*[A-Z]:/.exec(value);
  return next ? value.slice(0, next.index) : value;
}

// Single quotes count only around a whole word, so apostrophes (`user's`) don't open one.
const QUOTED = /"([^"]*)"|“([^”]*)”|(?<!\w)'([^']*)'(?!\w)|‘([^’]*)’|`([^`]*)`/g;

/** Quoted items when there are any (so `"a" and "b"` gives two); otherwise comma-separated ones. */
function splitList(value: string): string[] {
  const quoted = [...value.matchAll(QUOTED)]
    .map((m) => (m.slice(1).find((g) => g !== undefined) ?? "").trim())
    .filter((item) => item !== "");
  if (quoted.length > 0) return quoted;
  return value
    .split(/[,;]/)
    .map((item) => item.trim().replace(/\.+$/, ""))
    .filter((item) => item !== "");
}
