/**
 * Model-written text posted to GitHub must not act there: an `@user` in the
 * agent's report would notify that person, and "Fixes #12" would close issue
 * 12 when the pull request merges. Both are wrapped in code spans, where
 * GitHub shows them as written and does neither. Text already inside code
 * (fences or inline spans) is left alone.
 */
export function neutralizeReferences(text: string): string {
  const lines = text.split("\n");
  let fence: string | null = null;
  return lines
    .map((line) => {
      const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
      if (marker) {
        if (fence === null) fence = marker[0]!.repeat(marker.length);
        else if (marker.startsWith(fence)) fence = null;
        return line;
      }
      return fence === null ? neutralizeLine(line) : line;
    })
    .join("\n");
}

const CLOSING = /\b((?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+(?:[\w.-]+\/[\w.-]+)?#\d+)/gi;
const MENTION = /(^|[^\w`/@])(@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\/[A-Za-z0-9_-]+)?)(?![\w@.-]*\.[a-z]{2,}\b)/g;

function neutralizeLine(line: string): string {
  // Split on inline code spans so their contents stay as they are.
  return line
    .split(/(`+[^`]*`+)/)
    .map((part, index) => (index % 2 === 1 ? part : part.replace(CLOSING, "`$1`").replace(MENTION, "$1`$2`")))
    .join("");
}
