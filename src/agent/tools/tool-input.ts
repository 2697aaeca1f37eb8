import { z } from "zod";
import type { ToolResult } from "./tool.js";
import { toolError } from "./tool-result.js";

export type ParsedInput<T> = { ok: true; value: T } | { ok: false; result: ToolResult };

/**
 * Validates a tool call's input. A bad call becomes an error result naming
 * every problem and showing the correct form, so the model can retry at once.
 */
export function parseToolInput<T>(toolName: string, schema: z.ZodType<T>, input: unknown, usage: string): ParsedInput<T> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, result: toolError(`Invalid input for ${toolName}: expected an object of parameters. Call it as ${usage}`) };
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  const problems = parsed.error.issues.map((issue) => describeIssue(issue, input as Record<string, unknown>));
  return {
    ok: false,
    result: toolError(`Invalid input for ${toolName}: ${[...new Set(problems)].join("; ")}. Call it as ${usage}`),
  };
}

function describeIssue(issue: z.core.$ZodIssue, input: Record<string, unknown>): string {
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((key) => `"${key}"`).join(", ");
    return `unknown parameter${issue.keys.length > 1 ? "s" : ""} ${keys}`;
  }
  const name = issue.path.map(String).join(".");
  if (issue.code === "invalid_type" && issue.path.length === 1 && input[name] === undefined) return `"${name}" is required`;
  return name === "" ? issue.message : `"${name}": ${issue.message}`;
}

/** JSON null for an optional parameter means "not given"; models send it now and then. */
export function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null ? undefined : value), schema.optional());
}

/** A whole number of at least `min`; a numeric string ("200") is accepted too. */
export function wholeNumber(min: number) {
  return z.preprocess(
    (value) => (typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value),
    z
      .number({ error: `must be a whole number of at least ${min}` })
      .int({ error: `must be a whole number of at least ${min}` })
      .min(min, { error: `must be a whole number of at least ${min}` }),
  );
}

/** A boolean; the strings "true" and "false" are accepted too. */
export function flag() {
  return z.preprocess(
    (value) => (value === "true" ? true : value === "false" ? false : value),
    z.boolean({ error: "must be true or false" }),
  );
}

export function text(what: string, options: { nonEmpty?: boolean } = {}) {
  const base = z.string({ error: `must be a string (${what})` });
  return options.nonEmpty ? base.min(1, { error: `must not be empty (${what})` }) : base;
}
