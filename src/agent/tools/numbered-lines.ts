/** Longer lines are cut: one minified bundle line could otherwise fill the model's context. */
export const MAX_LINE_CHARS = 2000;

/** `cat -n` style: the line number right-aligned in six columns, a tab, the line. */
export function numberedLine(lineNumber: number, line: string): string {
  return `${String(lineNumber).padStart(6, " ")}\t${cutLongLine(line)}`;
}

export function cutLongLine(line: string, max = MAX_LINE_CHARS): string {
  if (line.length <= max) return line;
  return `${line.slice(0, max)}… [line cut: ${line.length} characters in all]`;
}

/** Lines of a text for display, without their `\n` or `\r\n` endings. */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
}

/** How many lines a text has; a final line without a newline counts. */
export function countLines(text: string): number {
  if (text === "") return 0;
  let count = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) count++;
  return text.endsWith("\n") ? count : count + 1;
}
