import { readFile } from "node:fs/promises";
import { ConfigurationError } from "../errors.js";

export interface IssueText {
  number: number | null;
  title: string;
  body: string;
  comments: Array<{ author: string; body: string }>;
}

/**
 * An issue for `planwright run`: a markdown file whose first `# ` heading is
 * the title, or a JSON file shaped like GitHub's issue (`title`, `body`,
 * optional `number` and `comments`).
 */
export async function readIssueFile(file: string): Promise<IssueText> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigurationError(`cannot read --issue ${file}: ${(error as Error).message}`);
  }
  if (file.endsWith(".json")) return fromJson(text, file);
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const headingIndex = lines.findIndex((l) => /^#\s+\S/.test(l));
  if (headingIndex === -1) {
    throw new ConfigurationError(`${file} has no title: start it with a "# Title" line, or pass --title and --body instead.`);
  }
  const title = lines[headingIndex]!.replace(/^#\s+/, "").trim();
  const body = [...lines.slice(0, headingIndex), ...lines.slice(headingIndex + 1)].join("\n").trim();
  return { number: null, title, body, comments: [] };
}

function fromJson(text: string, file: string): IssueText {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const d = data as { number?: unknown; title?: unknown; body?: unknown; comments?: unknown };
  if (typeof d.title !== "string" || !d.title.trim()) throw new ConfigurationError(`${file} needs a "title" string.`);
  const comments = Array.isArray(d.comments)
    ? d.comments.flatMap((c: unknown) => {
        const comment = c as { body?: unknown; user?: { login?: unknown }; author?: unknown };
        const author = typeof comment.author === "string" ? comment.author : typeof comment.user?.login === "string" ? comment.user.login : "someone";
        return typeof comment.body === "string" ? [{ author, body: comment.body }] : [];
      })
    : [];
  return {
    number: typeof d.number === "number" ? d.number : null,
    title: d.title.trim(),
    body: typeof d.body === "string" ? d.body : "",
    comments,
  };
}
