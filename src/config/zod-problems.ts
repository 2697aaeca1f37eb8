import { z } from "zod";

/**
 * Turns zod issues into one plain sentence each, naming the key and what is
 * allowed, so a maintainer can fix every problem from a single message.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], schema: z.ZodType, root = ""): string[] {
  const problems: string[] = [];
  for (const issue of issues) {
    const at = formatPath(root, issue.path);
    if (issue.code === "unrecognized_keys") {
      const allowed = allowedKeys(schema, issue.path);
      for (const key of issue.keys) {
        const where = formatPath(root, [...issue.path, key]);
        problems.push(
          `\`${where}\` is not a known key` + (allowed.length ? `; allowed here: ${allowed.map((k) => `\`${k}\``).join(", ")}` : ""),
        );
      }
      continue;
    }
    if (issue.code === "invalid_value" && "values" in issue) {
      const values = (issue.values as unknown[]).map((v) => JSON.stringify(v)).join(", ");
      problems.push(`\`${at || "(top level)"}\` must be one of ${values}`);
      continue;
    }
    problems.push(`\`${at || "(top level)"}\`: ${issue.message}`);
  }
  return problems;
}

function formatPath(root: string, path: readonly PropertyKey[]): string {
  const parts = root ? [root] : [];
  for (const segment of path) {
    if (typeof segment === "number") parts.push(`[${segment}]`);
    else parts.push(String(segment));
  }
  return parts.join(".").replace(/\.\[/g, "[");
}

/** Walks an object schema along `path` and lists the keys it accepts there. */
export function allowedKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = unwrap(schema);
  for (const segment of path) {
    if (!current) return [];
    if (current instanceof z.ZodObject) {
      current = unwrap((current.shape as Record<string, z.ZodType>)[String(segment)]);
    } else if (current instanceof z.ZodRecord) {
      current = unwrap(current.valueType as z.ZodType);
    } else if (current instanceof z.ZodArray) {
      current = unwrap(current.element as z.ZodType);
    } else {
      return [];
    }
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  // Optional, default and nullable wrappers hide the object we want to inspect.
  for (let i = 0; i < 10 && current; i++) {
    if (current instanceof z.ZodOptional ||
      current instanceof z.ZodNullable ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType;
    } else {
      break;
    }
  }
  return current;
}
