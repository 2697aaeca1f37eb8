import type { AgentRoute } from "./trigger.js";

/** A `/command …` line addressed to one of the repository's agents. */
export interface CommandLine {
  route: AgentRoute;
  /** `/command stop`: the maintainer wants the running job cancelled. */
  stop: boolean;
  /** Rest of the command line plus every line below it, trimmed; "" when there is none. */
  instructions: string;
}

const LINE_BREAK = /\r\n|\r|\n/;
// Markdown treats four spaces or a tab as an indented code block, and text in
// a code block is something being quoted, not a request.
const CODE_INDENT = /^(?: {4}|\t)/;
const STOP_WORD = "stop";

/**
 * Reads the first non-empty line of a comment as `/<command>` or
 * `/<command> <instructions>`. Only the first line counts, so a command quoted
 * further down (or inside a fenced code block, whose first line is the fence)
 * never starts a run. The command must be followed by whitespace or the end of
 * the line, so `/backendx` is not `/backend`. Returns null when the comment is
 * not addressed to any of `routes`.
 */
export function parseCommandLine(body: string, routes: readonly AgentRoute[]): CommandLine | null {
  const lines = body.split(LINE_BREAK);
  const first = lines.findIndex((line) => line.trim() !== "");
  const firstLine = lines[first];
  if (firstLine === undefined || CODE_INDENT.test(firstLine)) return null;

  const line = firstLine.trim();
  if (!line.startsWith("/")) return null;
  const route = routes.find((r) => matchesCommand(line, commandWord(r)));
  if (!route) return null;

  const rest = line.slice(1 + commandWord(route).length).trim();
  // `stop` must be the whole argument: `/backend stop the retries` is an instruction.
  if (rest.toLowerCase() === STOP_WORD) return { route, stop: true, instructions: "" };

  const instructions = [rest, ...lines.slice(first + 1)].join("\n").trim();
  return { route, stop: false, instructions };
}

// Routes built from hand-written definitions may spell the command `/backend`.
function commandWord(route: AgentRoute): string {
  return route.command.trim().replace(/^\//, "");
}

function matchesCommand(line: string, command: string): boolean {
  if (command === "") return false;
  const word = line.slice(1, 1 + command.length);
  if (word.toLowerCase() !== command.toLowerCase()) return false;
  const next = line.charAt(1 + command.length);
  return next === "" || /\s/.test(next);
}
