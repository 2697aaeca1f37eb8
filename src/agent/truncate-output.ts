/**
 * Long tool output is cut to its head and tail before it reaches the model:
 * the start usually says what ran and the end says how it ended, while the
 * middle (progress bars, thousands of passing tests) costs tokens on every
 * later turn of the run.
 */
export function truncateMiddle(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const keep = Math.max(0, maxChars - 200);
  const headLength = Math.floor(keep * 0.4);
  const tailLength = keep - headLength;
  const head = text.slice(0, headLength);
  const tail = text.slice(text.length - tailLength);
  const cut = text.slice(headLength, text.length - tailLength);
  const cutLines = cut.split("\n").length - 1;
  return (
    `${head}\n\n[… planwright cut ${cut.length} characters (${cutLines} lines) from the middle of this output. ` +
    `To see them, run a narrower command (grep, head, tail, sed -n) …]\n\n${tail}`
  );
}
