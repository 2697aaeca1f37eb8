import { REPORT_SECTIONS, scanFences } from "./parse-report.js";
import type { AgentReport } from "./parse-report.js";

/**
 * Renders a parsed report in the exact format the agent definition asks for,
 * whatever small liberties the model took. A missing section keeps its
 * heading and says it is missing, so a reviewer sees the gap instead of a
 * report that looks complete.
 */
export function renderReport(report: AgentReport): string {
  const parts = REPORT_SECTIONS.map(({ key, title }) => {
    const section = report.sections[key];
    if (section === null) return `## ${title}\n_The agent's report has no "${title}" section._`;
    if (section.body === "") return `## ${title}\n_The agent's "${title}" section is empty._`;
    return `## ${title}\n${closeOpenBlocks(section.body)}`;
  });
  for (const { heading, body } of report.extra) parts.push(body === "" ? `## ${heading}` : `## ${heading}\n${closeOpenBlocks(body)}`);
  // With no section found at all, the agent's whole message is the preamble; dropping it would lose everything it said.
  if (REPORT_SECTIONS.every(({ key }) => report.sections[key] === null) && report.preamble !== "") {
    parts.push(`## The agent's final message\n_Not in the report format; shown as written._\n\n${closeOpenBlocks(report.preamble)}`);
  }
  return parts.join("\n\n");
}

/**
 * Cuts markdown to at most `maxChars`, at a line boundary, closing whatever
 * the cut left open (a code fence, an HTML comment, a `<details>`) so the
 * note appended after it renders as text. Returns `text` unchanged when it
 * already fits.
 */
export function capMarkdown(text: string, maxChars: number, note: string): string {
  if (text.length <= maxChars) return text;
  const tail = note.trim() === "" ? "" : `\n\n${note.trim()}`;
  if (tail.length >= maxChars) return note.trim().slice(0, Math.max(0, maxChars));
  let budget = maxChars - tail.length;
  // The closers depend on where the cut falls, and the cut on how long the closers are; a few rounds settle it.
  for (let round = 0; round < 8 && budget > 0; round++) {
    const head = cutAtLineBoundary(text, budget);
    const closers = closersFor(head);
    const total = head.length + closers.length + tail.length;
    if (total <= maxChars) return `${head}${closers}${tail}`;
    budget -= total - maxChars;
  }
  return tail.trimStart().slice(0, maxChars);
}

function cutAtLineBoundary(text: string, budget: number): string {
  const slice = text.slice(0, budget);
  const newline = slice.lastIndexOf("\n");
  let head = newline > 0 ? slice.slice(0, newline) : slice;
  // One line longer than the budget: cut inside it, but not between the halves of a surrogate pair.
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  return head.trimEnd();
}

/** Closes a code fence, an HTML comment and `<details>` elements left open at the end of `markdown`. */
function closersFor(markdown: string): string {
  const lines = markdown.split("\n");
  const { fenced, open } = scanFences(lines);
  let commentOpen = false;
  let details = 0;
  lines.forEach((line, index) => {
    if (fenced[index]) return;
    let rest = line;
    while (rest !== "") {
      if (commentOpen) {
        const end = rest.indexOf("-->");
        if (end < 0) return;
        commentOpen = false;
        rest = rest.slice(end + 3);
        continue;
      }
      const start = rest.indexOf("<!--");
      const visible = start < 0 ? rest : rest.slice(0, start);
      details += (visible.match(/<details\b/gi) ?? []).length - (visible.match(/<\/details\s*>/gi) ?? []).length;
      details = Math.max(0, details);
      if (start < 0) return;
      commentOpen = true;
      rest = rest.slice(start + 4);
    }
  });
  let closers = "";
  if (open) closers += `\n${open}`;
  if (commentOpen) closers += "\n-->";
  closers += "\n</details>".repeat(details);
  return closers;
}

/** A body that ends inside a fence or comment would swallow every section rendered after it. */
function closeOpenBlocks(body: string): string {
  return `${body}${closersFor(body)}`;
}
