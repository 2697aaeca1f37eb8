/**
 * Reads the agent's final message as the report its definition asks for:
 * `## Implemented`, `## Tests`, `## Promises Verified`, `## Notes`.
 *
 * Models drift from a format in small ways (`### Tests:`, the whole report in
 * a ```markdown fence, chatter before it), so the parser is tolerant about
 * form. It is strict about content: a section the agent did not write is
 * null and listed in `missing`, never filled in.
 */

export type ReportSectionKey = "implemented" | "tests" | "promisesVerified" | "notes";

/** The four sections in the order the report format gives them. */
export const REPORT_SECTIONS: readonly { key: ReportSectionKey; title: string }[] = [
  { key: "implemented", title: "Implemented" },
  { key: "tests", title: "Tests" },
  { key: "promisesVerified", title: "Promises Verified" },
  { key: "notes", title: "Notes" },
];

export interface ReportItem {
  /** true for `- [x]`, false for `- [ ]`, null for a plain bullet. */
  checked: boolean | null;
  text: string;
}

export interface ReportSection {
  /** The heading as the agent wrote it, without the `#`s (e.g. "Tests:"). */
  heading: string;
  body: string;
  /** The section's top-level list items; nested bullets stay in their parent's text. */
  items: ReportItem[];
}

export interface AgentReport {
  sections: Record<ReportSectionKey, ReportSection | null>;
  /** Canonical headings not found, in report order, e.g. "## Tests". */
  missing: string[];
  /** Text before the first section heading (usually the model's chatter). */
  preamble: string;
  /** Other `##` sections, in the order written. */
  extra: { heading: string; body: string }[];
  raw: string;
}

/** Other names a model uses for a section, compared after normalising. */
const ALIASES: Record<ReportSectionKey, readonly string[]> = {
  implemented: ["implemented", "implementation"],
  tests: ["tests", "test", "testing"],
  promisesVerified: ["promises verified", "promises", "verified promises"],
  notes: ["notes", "note"],
};

const HEADING = /^ {0,3}(#{1,6})[ \t]*(.*?)(?:[ \t]+#+)?[ \t]*$/;
/** Canonical sections are recognised at any of these levels; `###` is the usual slip. */
const MAX_SECTION_LEVEL = 4;

export function parseReport(text: string): AgentReport {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const asWritten = parseLines(lines, text);
  const unwrapped = unwrapFencedReport(lines);
  if (unwrapped === lines) return asWritten;
  // Unwrapping is a guess (the fence might be an example the agent quoted); keep it only if it finds more of the report.
  const candidate = parseLines(unwrapped, text);
  return candidate.missing.length < asWritten.missing.length ? candidate : asWritten;
}

function parseLines(lines: readonly string[], raw: string): AgentReport {
  const fenced = scanFences(lines).fenced;

  const sections: Record<ReportSectionKey, ReportSection | null> = { implemented: null, tests: null, promisesVerified: null, notes: null };
  const extra: { heading: string; body: string }[] = [];
  const preamble: string[] = [];
  let current: { key: ReportSectionKey | null; heading: string; lines: string[] } | null = null;

  const flush = (): void => {
    if (!current) return;
    const body = trimBlankLines(current.lines.join("\n"));
    if (current.key === null) {
      extra.push({ heading: current.heading, body });
      return;
    }
    const existing = sections[current.key];
    // A repeated heading adds to the first one rather than replacing what the agent wrote.
    const merged = existing && existing.body !== "" ? (body === "" ? existing.body : `${existing.body}\n\n${body}`) : body;
    sections[current.key] = { heading: existing?.heading ?? current.heading, body: merged, items: parseItems(merged) };
  };

  lines.forEach((line, index) => {
    const start = fenced[index] ? null : sectionStart(line);
    if (start) {
      flush();
      current = { ...start, lines: [] };
    } else if (current) {
      current.lines.push(line);
    } else {
      preamble.push(line);
    }
  });
  flush();

  return {
    sections,
    missing: REPORT_SECTIONS.filter(({ key }) => sections[key] === null).map(({ title }) => `## ${title}`),
    preamble: trimBlankLines(preamble.join("\n")),
    extra,
    raw,
  };
}

function sectionStart(line: string): { key: ReportSectionKey | null; heading: string } | null {
  const match = HEADING.exec(line);
  if (!match) return null;
  const level = match[1]?.length ?? 0;
  const heading = (match[2] ?? "").trim();
  const key = canonicalKey(heading);
  if (key && level <= MAX_SECTION_LEVEL) return { key, heading };
  // Other `##` headings are sections of their own; `#` titles and `###` subheadings belong to what they're in.
  if (level === 2 && heading !== "") return { key: null, heading };
  return null;
}

function canonicalKey(heading: string): ReportSectionKey | null {
  const normalized = heading
    .replace(/[*_`]/g, "")
    .replace(/[\s:.]+$/, "")
    // Leading emoji, check marks or numbering ("✅ Tests", "2. Tests").
    .replace(/^[^\p{L}]+/u, "")
    .replace(/\s+/g, " ")
    .toLowerCase();
  for (const { key } of REPORT_SECTIONS) if (ALIASES[key].includes(normalized)) return key;
  return null;
}

function trimBlankLines(text: string): string {
  return text.replace(/^(?:[ \t]*\n)+/, "").trimEnd();
}

/**
 * A report wrapped whole in a fence (```markdown … ```) is unwrapped: when
 * the first canonical heading sits inside a fence, that fence's opening line
 * and the last matching closing line are dropped. Taking the last closer,
 * not the first, keeps code blocks nested inside the report intact.
 */
function unwrapFencedReport(lines: string[]): string[] {
  const firstHeading = lines.findIndex((line) => {
    const match = HEADING.exec(line);
    return match !== null && (match[1]?.length ?? 0) <= MAX_SECTION_LEVEL && canonicalKey((match[2] ?? "").trim()) !== null;
  });
  if (firstHeading < 0) return lines;
  const { fenced, openers } = scanFences(lines);
  if (!fenced[firstHeading]) return lines;
  const openerIndex = openers[firstHeading] ?? -1;
  const opener = FENCE_OPENER.exec(lines[openerIndex] ?? "");
  if (!opener?.[1]) return lines;
  const fence = opener[1];
  let closerIndex = -1;
  for (let index = lines.length - 1; index > firstHeading; index--) {
    const closer = FENCE_CLOSER.exec(lines[index] ?? "");
    if (closer?.[1] && closer[1][0] === fence[0] && closer[1].length >= fence.length) {
      closerIndex = index;
      break;
    }
  }
  return lines.filter((_, index) => index !== openerIndex && index !== closerIndex);
}

// ---------------------------------------------------------------------------
// Fences, read loosely: reports put code blocks inside list items, so any
// indentation counts.

const FENCE_OPENER = /^[ \t]*(`{3,}|~{3,})(.*)$/;
const FENCE_CLOSER = /^[ \t]*(`{3,}|~{3,})[ \t]*$/;

export interface FenceScan {
  /** Per line: part of a fenced block (its opening line, content or closing line). */
  fenced: boolean[];
  /** Per fenced line: the index of its block's opening line; -1 elsewhere. */
  openers: number[];
  /** The fence still open after the last line, e.g. "```", or null. */
  open: string | null;
}

export function scanFences(lines: readonly string[]): FenceScan {
  const fenced: boolean[] = [];
  const openers: number[] = [];
  let open: { fence: string; index: number } | null = null;
  lines.forEach((line, index) => {
    if (open) {
      fenced.push(true);
      openers.push(open.index);
      const closer = FENCE_CLOSER.exec(line);
      if (closer?.[1] && closer[1][0] === open.fence[0] && closer[1].length >= open.fence.length) open = null;
      return;
    }
    const opener = FENCE_OPENER.exec(line);
    if (opener?.[1] && !(opener[1].startsWith("`") && opener[2]?.includes("`"))) {
      open = { fence: opener[1], index };
      fenced.push(true);
      openers.push(index);
      return;
    }
    fenced.push(false);
    openers.push(-1);
  });
  const still = open as { fence: string } | null;
  return { fenced, openers, open: still ? still.fence : null };
}

// ---------------------------------------------------------------------------
// List items.

const LIST_ITEM = /^([ \t]*)([-*+]|\d{1,9}[.)])([ \t]+|$)(.*)$/;
const CHECKBOX = /^\[([ xX])\](?:[ \t]+|$)(.*)$/;

/**
 * Top-level list items. A line indented to an item's content belongs to that
 * item (nested bullets included); a less indented line that is not a new
 * item ends the list.
 */
function parseItems(body: string): ReportItem[] {
  const lines = body.split("\n");
  const { fenced } = scanFences(lines);
  const items: ReportItem[] = [];
  let current: { lines: string[]; contentIndent: number; checked: boolean | null } | null = null;
  const finish = (): void => {
    if (current) items.push({ checked: current.checked, text: current.lines.join("\n").trim() });
    current = null;
  };

  lines.forEach((line, index) => {
    if (/^[ \t]*$/.test(line)) {
      if (current) current.lines.push("");
      return;
    }
    const indent = indentation(line);
    if (current && (indent >= current.contentIndent || (fenced[index] && indent > 0))) {
      current.lines.push(line.slice(Math.min(current.contentIndent, indent)));
      return;
    }
    const item = fenced[index] ? null : LIST_ITEM.exec(line);
    if (!item) {
      finish();
      return;
    }
    finish();
    const [, lead = "", , gap = "", content = ""] = item;
    const checkbox = CHECKBOX.exec(content);
    current = {
      lines: [checkbox ? (checkbox[2] ?? "") : content],
      contentIndent: indentation(lead) + (item[2]?.length ?? 1) + Math.max(1, gap.length),
      checked: checkbox ? checkbox[1] !== " " : null,
    };
  });
  finish();
  return items.map((item) => ({ ...item, text: item.text.replace(/\n{3,}/g, "\n\n") }));
}

function indentation(text: string): number {
  let width = 0;
  for (const ch of text) {
    if (ch === " ") width += 1;
    else if (ch === "\t") width += 4 - (width % 4);
    else break;
  }
  return width;
}
