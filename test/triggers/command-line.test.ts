import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../../src/triggers/command-line.js";
import type { AgentRoute } from "../../src/triggers/trigger.js";

const backend: AgentRoute = { name: "backend-engineer", command: "backend", label: "backend", triggerWords: [] };
const frontend: AgentRoute = { name: "frontend-engineer", command: "frontend", label: "frontend", triggerWords: [] };
const routes = [backend, frontend];

describe("parseCommandLine", () => {
  it("reads a bare command as a request with no instructions", () => {
    expect(parseCommandLine("/backend", routes)).toEqual({ route: backend, stop: false, instructions: "" });
  });

  it("takes the rest of the first line as instructions", () => {
    expect(parseCommandLine("/backend add pagination to /users", routes)).toEqual({
      route: backend,
      stop: false,
      instructions: "add pagination to /users",
    });
  });

  it("adds the lines below the command to the instructions, trimmed, keeping inner blank lines", () => {
    const body = "/backend add pagination\nUse cursors, not offsets.\n\nKeep the old endpoint working.\n\n";
    expect(parseCommandLine(body, routes)?.instructions).toBe(
      "add pagination\nUse cursors, not offsets.\n\nKeep the old endpoint working.",
    );
  });

  it("takes instructions only from the lines below when the command stands alone", () => {
    expect(parseCommandLine("/backend\n  please add tests  \n", routes)?.instructions).toBe("please add tests");
  });

  it("normalises Windows and old Mac line breaks", () => {
    expect(parseCommandLine("/backend one\r\ntwo\rthree", routes)?.instructions).toBe("one\ntwo\nthree");
  });

  it("accepts a tab between the command and the instructions", () => {
    expect(parseCommandLine("/backend\tgo", routes)?.instructions).toBe("go");
  });

  it("matches the command case-insensitively", () => {
    expect(parseCommandLine("/BackEnd go", routes)?.route).toBe(backend);
  });

  it("picks the route the command names", () => {
    expect(parseCommandLine("/frontend fix the button", routes)).toEqual({
      route: frontend,
      stop: false,
      instructions: "fix the button",
    });
  });

  it("tolerates a route whose command was written with its slash", () => {
    const slashed: AgentRoute = { ...backend, command: "/backend" };
    expect(parseCommandLine("/backend go", [slashed])?.instructions).toBe("go");
  });

  it.each(["/backendx", "/backendx go", "/backend-api go", "/backend.", "/backend, please"])(
    "does not read %j as /backend: the command must end at whitespace or end of line",
    (body) => {
      expect(parseCommandLine(body, routes)).toBeNull();
    },
  );

  it("finds a longer command that shares a prefix with an earlier route", () => {
    const api: AgentRoute = { ...backend, name: "api-engineer", command: "backend-api" };
    expect(parseCommandLine("/backend-api go", [backend, api])?.route).toBe(api);
  });

  it.each(["/backend stop", "/backend STOP", "/Backend Stop  ", "  /backend   stop"])("reads %j as stop", (body) => {
    expect(parseCommandLine(body, routes)).toEqual({ route: backend, stop: true, instructions: "" });
  });

  it("reads stop from the first line even when more lines follow", () => {
    expect(parseCommandLine("/backend stop\nthis went wrong", routes)?.stop).toBe(true);
  });

  it.each([
    ["/backend stop the retries", "stop the retries"],
    ["/backend stopping is hard", "stopping is hard"],
    ["/backend\nstop", "stop"],
  ])("does not read %j as stop: stop must be the whole argument on the command line", (body, instructions) => {
    expect(parseCommandLine(body, routes)).toEqual({ route: backend, stop: false, instructions });
  });

  it("skips leading blank and whitespace-only lines", () => {
    expect(parseCommandLine("\n\n   \n\t\n/backend go", routes)?.instructions).toBe("go");
  });

  it("allows up to three spaces of indentation, as Markdown does for a paragraph", () => {
    expect(parseCommandLine("   /backend go", routes)?.instructions).toBe("go");
  });

  it.each([
    ["a command below the first line", "Thanks for the report!\n/backend go"],
    ["a command inside a fenced code block", "```\n/backend go\n```"],
    ["a command in an indented code block", "    /backend go"],
    ["a tab-indented command", "\t/backend go"],
    ["a quoted command", "> /backend go"],
    ["the command word without a slash", "backend go"],
    ["an unknown command", "/deploy now"],
    ["a lone slash", "/"],
    ["an empty body", ""],
    ["a whitespace-only body", " \n\t\n "],
  ])("ignores %s", (_what, body) => {
    expect(parseCommandLine(body, routes)).toBeNull();
  });

  it("never matches a route that has no command", () => {
    const silent: AgentRoute = { ...backend, command: "" };
    expect(parseCommandLine("/ go", [silent])).toBeNull();
    expect(parseCommandLine("/", [silent])).toBeNull();
  });

  it("matches nothing when there are no routes", () => {
    expect(parseCommandLine("/backend go", [])).toBeNull();
  });
});
