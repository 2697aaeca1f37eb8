import { capMarkdown } from "./render-report.js";

export const SHORTENED_NOTE = "_Shortened to fit GitHub's size limit; the full text is in that run's transcript._";

/** Each iteration's section ends with its marker, so the markers split the body into iterations. */
const ITERATION_END = /<!-- planwright:iteration \d+ at=[^ ]+ -->/g;

/**
 * Lines that outlive any shortening: later runs count the iteration markers
 * and read the newest one's time, and GitHub links the issue by `Closes #n`.
 */
const KEPT_LINE = /^(?:<!-- planwright:[^\n]*-->|(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?) #\d+)$/i;

/**
 * Fits a pull request body into `maxChars` by shortening its oldest parts
 * first: the first publish, then each iteration in order. A shortened part
 * keeps its beginning, says it was shortened, and keeps its kept lines, so
 * the newest iterations stay whole and no marker is lost.
 */
export function shortenOldestFirst(body: string, maxChars: number): string {
  if (body.length <= maxChars) return body;
  const parts = splitAfterIterations(body);
  let excess = body.length - maxChars;
  for (let index = 0; index < parts.length && excess > 0; index++) {
    const part = parts[index]!;
    const shorter = shortenPart(part, part.length - excess);
    excess -= part.length - shorter.length;
    parts[index] = shorter;
  }
  const fitted = parts.join("");
  // Only hundreds of iterations, each already down to its marker, get here: the newest markers count most.
  return fitted.length <= maxChars ? fitted : keepEnd(fitted, maxChars);
}

function splitAfterIterations(body: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (const match of body.matchAll(ITERATION_END)) {
    const end = match.index + match[0].length;
    parts.push(body.slice(start, end));
    start = end;
  }
  if (start < body.length) parts.push(body.slice(start));
  return parts;
}

/** At most `maxChars` when the kept lines allow it; never longer than `part`. */
function shortenPart(part: string, maxChars: number): string {
  // The blank line before a part separates it from the previous marker; a cut must not glue them.
  const lead = /^\s*/.exec(part)![0];
  const kept = keptLines(part);
  const keptRoom = kept.reduce((sum, line) => sum + line.length + 2, 0);
  const head = capMarkdown(part.slice(lead.length), Math.max(SHORTENED_NOTE.length, maxChars - lead.length - keptRoom), SHORTENED_NOTE);
  const stillThere = new Set(keptLines(head));
  const lost = kept.filter((line) => !stillThere.has(line));
  const shorter = [`${lead}${head}`, ...lost].join("\n\n");
  return shorter.length < part.length ? shorter : part;
}

function keptLines(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => KEPT_LINE.test(line));
}

function keepEnd(text: string, maxChars: number): string {
  const end = text.slice(text.length - maxChars);
  const newline = end.indexOf("\n");
  return newline >= 0 ? end.slice(newline + 1) : end;
}

/**
 * Redacts a pull request body and keeps it within `maxChars`: redaction runs
 * last (nothing may slip past it), but a replacement can be longer than what
 * it replaces, so a body capped before could end up over GitHub's limit and be
 * refused after the push.
 */
export function redactWithin(body: string, redact: (text: string) => string, maxChars: number): string {
  const redacted = redact(body);
  return redacted.length <= maxChars ? redacted : shortenOldestFirst(redacted, maxChars);
}
