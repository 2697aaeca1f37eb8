/**
 * Cleans issue and comment text before it reaches the model.
 *
 * The rule behind every step: the model must not read text that a person
 * looking at the issue on GitHub cannot see. Hidden text (HTML comments,
 * attribute values, image alt text, invisible Unicode) is where prompt
 * injection hides, so it is removed; visible text is kept byte for byte.
 *
 * Where this module and GitHub's renderer could disagree about what is
 * visible, it errs towards removing: losing a little visible text costs a
 * worse prompt, keeping hidden text costs a hijacked run. Code is left alone
 * (apart from invisible characters, invisible there too) only where GitHub
 * certainly renders it as code: fenced blocks up to the first fence whose
 * meaning depends on list or quote nesting, and one-line code spans.
 */

export type RemovedKind =
  | "html-comments"
  | "hidden-elements"
  | "html-attributes"
  | "image-alt-text"
  | "link-titles"
  | "link-reference-definitions"
  | "code-fence-info"
  | "zero-width-characters"
  | "bidi-controls"
  | "tag-characters"
  | "variation-selectors"
  | "control-characters";

/** The order `removed` lists kinds in, so log lines are stable. */
const KIND_ORDER: readonly RemovedKind[] = [
  "html-comments",
  "hidden-elements",
  "html-attributes",
  "image-alt-text",
  "link-titles",
  "link-reference-definitions",
  "code-fence-info",
  "zero-width-characters",
  "bidi-controls",
  "tag-characters",
  "variation-selectors",
  "control-characters",
];

export interface SanitizeResult {
  text: string;
  /** The kinds of hidden content that were removed, for a log line; empty when nothing was. */
  removed: RemovedKind[];
}

export function sanitizeUntrusted(text: string): SanitizeResult {
  const removed = new Set<RemovedKind>();
  let normalized = text.replace(/\r\n?/g, "\n");
  // GitHub drops a leading byte-order mark before parsing; doing the same keeps
  // the fence tracking below in step with it.
  if (normalized.startsWith("\uFEFF")) {
    normalized = normalized.slice(1);
    removed.add("zero-width-characters");
  }

  const segments = segment(normalized.split("\n"));
  const pieces: string[] = [];
  for (const seg of segments) {
    if (seg.kind === "code") {
      pieces.push(seg.lines.map((line, index) => cleanLine(line.text, index === 0, removed)).join("\n"));
      continue;
    }
    const piece = sanitizeProse(seg.lines, removed);
    pieces.push(piece);
    // Everything after a cut is hidden anyway; no need to look at it.
    if (piece.includes(CUT)) break;
  }

  const prose = rewriteMarkdown(pieces, segments, removed);
  const joined = prose.join("\n");
  const swallowed = applyHiddenMarkers(joined, removed);
  return { text: swallowed, removed: KIND_ORDER.filter((kind) => removed.has(kind)) };
}

// ---------------------------------------------------------------------------
// Block segmentation: which lines are certainly code, and which lines GitHub
// may treat as raw HTML (parsed by a browser's lenient rules) rather than as
// markdown text (where only well-formed tags are HTML).

interface Line {
  text: string;
  /** Inside something that may be an HTML block. */
  lenient: boolean;
}

interface Segment {
  kind: "code" | "prose";
  lines: Line[];
}

type BlockState =
  | { kind: "normal" }
  | { kind: "fence"; char: string; length: number }
  | { kind: "raw"; end: RegExp }
  | { kind: "loose" };

/** Only a fence at column 0 is certainly top-level; an indented one may belong to a list item. */
const CLEAN_FENCE_OPENER = /^(`{3,}|~{3,})(.*)$/;
const FENCE_CLOSER = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;
/** Blockquote markers, list markers and indentation in front of a line's content. */
const CONTAINER_PREFIX = /^(?:[ \t]*(?:>|[-+*](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$)))*[ \t]*/;
const FENCE_LIKE = /^(`{3,}|~{3,})/;
/** HTML block starts (CommonMark types 1-7), over-approximated on purpose. */
const HTML_BLOCK_START = /^(?:<!--|<\?|<![A-Za-z[]|<\/?[A-Za-z][A-Za-z0-9-]*(?:[\s/>]|$))/;
const RAW_BLOCK_ENDS: readonly (readonly [RegExp, RegExp])[] = [
  [/^<!--/, /-->/],
  [/^<\?/, /\?>/],
  [/^<!\[CDATA\[/, /\]\]>/],
  [/^<![A-Za-z]/, />/],
  [/^<(?:script|pre|style|textarea)(?:[\s>]|$)/i, /<\/(?:script|pre|style|textarea)>/i],
];

function lineContent(line: string): string {
  return stripInvisible(line, new Set()).replace(CONTAINER_PREFIX, "");
}

function segment(lines: readonly string[]): Segment[] {
  const segments: Segment[] = [];
  let state: BlockState = { kind: "normal" };
  // Set for good once a fence line appears whose meaning depends on nesting
  // this module does not track; from then on nothing counts as code.
  let uncertain = false;

  const push = (kind: Segment["kind"], line: Line, fresh = false): void => {
    const last = segments[segments.length - 1];
    if (last && last.kind === kind && !fresh) last.lines.push(line);
    else segments.push({ kind, lines: [line] });
  };

  for (const text of lines) {
    if (state.kind === "fence") {
      const closer = FENCE_CLOSER.exec(text);
      push("code", { text, lenient: false });
      if (closer?.[1] && closer[1][0] === state.char && closer[1].length >= state.length) state = { kind: "normal" };
      continue;
    }
    const content = lineContent(text);
    if (state.kind === "raw") {
      if (FENCE_LIKE.test(content)) uncertain = true;
      push("prose", { text, lenient: true });
      if (state.end.test(text)) state = { kind: "normal" };
      continue;
    }
    if (/^[ \t]*$/.test(text)) {
      state = { kind: "normal" };
      push("prose", { text, lenient: false });
      continue;
    }
    const opener: RegExpExecArray | null = state.kind === "normal" && !uncertain ? CLEAN_FENCE_OPENER.exec(text) : null;
    if (opener?.[1] && !(opener[1][0] === "`" && opener[2]?.includes("`"))) {
      state = { kind: "fence", char: opener[1][0] ?? "`", length: opener[1].length };
      // Its own segment, so two adjacent blocks each keep their opener first.
      push("code", { text, lenient: false }, true);
      continue;
    }
    if (FENCE_LIKE.test(content)) uncertain = true;
    if (HTML_BLOCK_START.test(content)) {
      const raw = RAW_BLOCK_ENDS.find(([start]) => start.test(content));
      if (raw) {
        const startIndex = text.indexOf("<");
        if (!raw[1].test(text.slice(Math.max(0, startIndex)))) state = { kind: "raw", end: raw[1] };
      } else if (state.kind === "normal") {
        state = { kind: "loose" };
      }
      push("prose", { text, lenient: true });
      continue;
    }
    push("prose", { text, lenient: state.kind === "loose" });
  }
  return segments;
}

// ---------------------------------------------------------------------------
// Invisible characters.

/**
 * Markers this module puts into text between passes. Control characters are
 * stripped from the input first, so no input can forge them.
 */
const MARK = "\u0000";
const LETTER = /[A-Za-z]/;
/** Everything from here to the end of the text is hidden. */
const CUT = `${MARK}E${MARK}`;
const openMarker = (name: string): string => `${MARK}O${name}${MARK}`;
const closeMarker = (name: string): string => `${MARK}C${name}${MARK}`;

const BIDI_CONTROLS = new Set([0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]);
const ZWJ = 0x200d;
const RGI_SUBDIVISION_TAGS = new Set(["gbeng\u007f", "gbsct\u007f", "gbwls\u007f"]);
const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;
const EMOJI = /\p{Emoji}/u;
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;
const EMOJI_MODIFIER = /\p{Emoji_Modifier}/u;
/** Every character `classify` might remove; tag characters are matched as runs to recognise flag sequences. */
const INVISIBLE_CANDIDATES =
  /([\u{E0000}-\u{E007F}]+)|[\0-\x08\x0B-\x1F\x7F-\x9F\u2028\u2029\uFFF9-\uFFFB\p{Default_Ignorable_Code_Point}]/gu;

function classify(cp: number): RemovedKind | null {
  if (cp === 0x09 || cp === 0x0a) return null;
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029) return "control-characters";
  if (BIDI_CONTROLS.has(cp)) return "bidi-controls";
  if (cp >= 0xe0000 && cp <= 0xe007f) return "tag-characters";
  if (isVariationSelector(cp)) return "variation-selectors";
  if ((cp >= 0xfff9 && cp <= 0xfffb) || DEFAULT_IGNORABLE.test(String.fromCodePoint(cp))) return "zero-width-characters";
  return null;
}

function isVariationSelector(cp: number): boolean {
  return (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef) || (cp >= 0x180b && cp <= 0x180d) || cp === 0x180f;
}

function codePointBefore(text: string, offset: number): number | undefined {
  if (offset <= 0) return undefined;
  const low = text.charCodeAt(offset - 1);
  if (low >= 0xdc00 && low <= 0xdfff && offset >= 2) {
    const high = text.charCodeAt(offset - 2);
    if (high >= 0xd800 && high <= 0xdbff) return text.codePointAt(offset - 2);
  }
  return low;
}

function has(pattern: RegExp, cp: number | undefined): boolean {
  return cp !== undefined && pattern.test(String.fromCodePoint(cp));
}

/**
 * Removes invisible characters, keeping the few that only shape emoji: a
 * zero-width joiner between two pictographs (👩‍💻), one presentation selector
 * after an emoji (❤️), and the tag sequences of the three RGI subdivision flags.
 */
function stripInvisible(text: string, removed: Set<RemovedKind>): string {
  return text.replace(INVISIBLE_CANDIDATES, (match: string, tagRun: string | undefined, offset: number) => {
    const before = codePointBefore(text, offset);
    if (tagRun !== undefined) {
      const tags = Array.from(tagRun, (ch) => String.fromCodePoint((ch.codePointAt(0) ?? 0) - 0xe0000)).join("");
      if (before === 0x1f3f4 && RGI_SUBDIVISION_TAGS.has(tags)) return match;
      removed.add("tag-characters");
      return "";
    }
    const cp = match.codePointAt(0) ?? 0;
    if (cp === ZWJ) {
      const after = text.codePointAt(offset + match.length);
      const joinsEmoji = (has(PICTOGRAPHIC, before) || has(EMOJI_MODIFIER, before) || before === 0xfe0f) && has(PICTOGRAPHIC, after);
      if (joinsEmoji) return match;
    }
    if ((cp === 0xfe0f || cp === 0xfe0e) && has(EMOJI, before) && !isVariationSelector(before ?? 0)) return match;
    const kind = classify(cp);
    if (!kind) return match;
    removed.add(kind);
    // Line and paragraph separators separate words; deleting them would join two.
    return cp === 0x2028 || cp === 0x2029 ? " " : "";
  });
}

/** Character references that decode to a character `classify` removes; browsers accept numeric ones without `;`. */
const INVISIBLE_ENTITY =
  /&(?:#[xX]([0-9a-fA-F]{1,8});?|#([0-9]{1,10});?|(shy|zwj|zwnj|lrm|rlm|ZeroWidthSpace|NegativeVeryThinSpace|NegativeThinSpace|NegativeMediumSpace|NegativeThickSpace|NoBreak|InvisibleTimes|InvisibleComma|ApplyFunction|it|ic|af);)/g;
const NAMED_INVISIBLE: Record<string, number> = {
  shy: 0xad,
  zwj: 0x200d,
  zwnj: 0x200c,
  lrm: 0x200e,
  rlm: 0x200f,
  ZeroWidthSpace: 0x200b,
  NegativeVeryThinSpace: 0x200b,
  NegativeThinSpace: 0x200b,
  NegativeMediumSpace: 0x200b,
  NegativeThickSpace: 0x200b,
  NoBreak: 0x2060,
  InvisibleTimes: 0x2062,
  InvisibleComma: 0x2063,
  ApplyFunction: 0x2061,
  it: 0x2062,
  ic: 0x2063,
  af: 0x2061,
};

function stripInvisibleEntities(text: string, removed: Set<RemovedKind>): string {
  if (!text.includes("&")) return text;
  return text.replace(INVISIBLE_ENTITY, (match: string, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    const cp = name !== undefined ? NAMED_INVISIBLE[name] : Number.parseInt(hex ?? dec ?? "", hex !== undefined ? 16 : 10);
    // Numeric references to 0x80-0x9F mean windows-1252 characters (visible), not C1 controls.
    if (cp === undefined || !Number.isFinite(cp) || cp > 0x10ffff || (cp >= 0x80 && cp <= 0x9f)) return match;
    const kind = classify(cp);
    if (!kind) return match;
    removed.add(kind);
    return "";
  });
}

/** A fence's info string is not shown; keep a plain language word, drop anything else. */
const FENCE_LINE = /^((?:[ \t]*(?:>|[-+*](?=[ \t])|\d{1,9}[.)](?=[ \t])))*[ \t]*)(`{3,}|~{3,})(.*)$/;
const LANGUAGE_WORD = /^[\w+#.-]{1,30}$/;

function cleanFenceInfo(line: string, removed: Set<RemovedKind>): string {
  const match = FENCE_LINE.exec(line);
  if (!match) return line;
  const [, prefix = "", fence = "", info = ""] = match;
  if (fence.startsWith("`") && info.includes("`")) return line;
  const trimmed = info.trim();
  if (trimmed === "" || LANGUAGE_WORD.test(trimmed)) return line;
  const word = trimmed.split(/\s+/)[0] ?? "";
  removed.add("code-fence-info");
  return `${prefix}${fence}${LANGUAGE_WORD.test(word) ? word : ""}`;
}

function cleanLine(text: string, fenceOpener: boolean, removed: Set<RemovedKind>): string {
  const visible = stripInvisible(text, removed);
  return fenceOpener ? cleanFenceInfo(visible, removed) : visible;
}

// ---------------------------------------------------------------------------
// Prose: HTML comments and tags, chunk by chunk (strict or lenient).

function sanitizeProse(lines: readonly Line[], removed: Set<RemovedKind>): string {
  const chunks: { lenient: boolean; lines: string[] }[] = [];
  for (const line of lines) {
    const text = cleanFenceInfo(stripInvisible(line.text, removed), removed);
    const last = chunks[chunks.length - 1];
    if (last && last.lenient === line.lenient) last.lines.push(text);
    else chunks.push({ lenient: line.lenient, lines: [text] });
  }
  const out: string[] = [];
  for (const chunk of chunks) {
    const text = stripInvisibleEntities(chunk.lines.join("\n"), removed);
    const sanitized = chunk.lenient ? sanitizeLenientHtml(stripComments(text, removed), removed) : sanitizeMarkdownHtml(text, removed);
    out.push(sanitized);
    if (sanitized.includes(CUT)) break;
  }
  return out.join("\n");
}

/**
 * HTML comments, processing instructions, declarations and CDATA in an HTML
 * block. One left unterminated hides the rest of the page (a browser keeps
 * looking for its end), so it cuts everything after it.
 */
function stripComments(text: string, removed: Set<RemovedKind>): string {
  if (!text.includes("<!") && !text.includes("<?")) return text;
  let out = "";
  let index = 0;
  for (;;) {
    const start = nextCommentStart(text, index);
    if (start < 0) return out + text.slice(index);
    out += text.slice(index, start);
    const end = commentEnd(text, start);
    removed.add("html-comments");
    if (end < 0) return out + CUT;
    index = end;
  }
}

function nextCommentStart(text: string, from: number): number {
  for (let at = text.indexOf("<", from); at >= 0; at = text.indexOf("<", at + 1)) if (isCommentStart(text, at)) return at;
  return -1;
}

function isCommentStart(text: string, at: number): boolean {
  const next = text[at + 1];
  if (next === "?") return true;
  return next === "!" && (text.startsWith("--", at + 2) || text.startsWith("[CDATA[", at + 2) || LETTER.test(text[at + 2] ?? ""));
}

/** Index just past the construct starting at `start`, or -1 when it never ends. */
function commentEnd(text: string, start: number): number {
  if (text.startsWith("<!--", start)) {
    // Browsers also end a comment at `--!>`.
    for (let dashes = text.indexOf("--", start + 2); dashes >= 0; dashes = text.indexOf("--", dashes + 1)) {
      if (text[dashes + 2] === ">") return dashes + 3;
      if (text.startsWith("!>", dashes + 2)) return dashes + 4;
    }
    return -1;
  }
  // Markdown ends these later than a browser does; taking the later end covers both readings.
  const special = text.startsWith("<?", start) ? "?>" : text.startsWith("<![CDATA[", start) ? "]]>" : null;
  if (special) {
    const end = text.indexOf(special, start + 2);
    if (end >= 0) return end + special.length;
  }
  const gt = text.indexOf(">", start + 2);
  return gt < 0 ? -1 : gt + 1;
}

/** Attributes whose values a reader sees the effect of (a link target, an image, a table's shape). */
const VISIBLE_ATTRIBUTES = new Set([
  "href",
  "src",
  "srcset",
  "width",
  "height",
  "align",
  "valign",
  "open",
  "colspan",
  "rowspan",
  "start",
  "reversed",
  "type",
  "media",
  "checked",
  "disabled",
]);

/** Elements whose content a reader never sees on GitHub. */
const HIDDEN_ELEMENTS = new Set(["script", "style", "template", "noscript", "iframe", "noembed", "noframes", "xmp", "textarea", "title", "plaintext"]);

interface Attribute {
  name: string;
  raw: string;
}

function rebuildTag(original: string, name: string, closing: boolean, selfClosing: boolean, attributes: readonly Attribute[], removed: Set<RemovedKind>): string {
  const lower = name.toLowerCase();
  if (HIDDEN_ELEMENTS.has(lower)) {
    removed.add("hidden-elements");
    if (lower === "plaintext" && !closing) return CUT;
    return closing ? closeMarker(lower) : openMarker(lower);
  }
  const kept = closing ? [] : attributes.filter((attribute) => VISIBLE_ATTRIBUTES.has(attribute.name.toLowerCase()));
  if (kept.length === attributes.length) return original;
  removed.add("html-attributes");
  return `<${closing ? "/" : ""}${name}${kept.map((attribute) => ` ${attribute.raw}`).join("")}${selfClosing ? " /" : ""}>`;
}

/**
 * Markdown text: only a well-formed tag (CommonMark's raw HTML grammar) is
 * HTML; anything else, like `Map<string, number>`, is shown as typed.
 */
const STRICT_TAG =
  /<(\/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[A-Za-z_:][\w.:-]*(?:\s*=\s*(?:[^\s"'=<>`]+|'[^']*'|"[^"]*"))?)*)\s*(\/?)>/y;
const STRICT_ATTRIBUTE = /\s+([A-Za-z_:][\w.:-]*)(?:\s*=\s*(?:[^\s"'=<>`]+|'[^']*'|"[^"]*"))?/g;
const INLINE_SPECIAL = /[\\`<]/g;

/**
 * Markdown text, read left to right the way CommonMark does: a backslash
 * escapes the next character, and whichever starts first of a code span and
 * an HTML construct wins, so `` `<b title="x">` `` stays as typed (GitHub
 * shows it as code) while `<b title="x">` loses its title. Only code spans
 * on one line without a `|` count: a table splits its cells at pipes before
 * it looks for code, and a span over several lines may not be one paragraph.
 */
function sanitizeMarkdownHtml(text: string, removed: Set<RemovedKind>): string {
  if (!text.includes("<")) return text;
  let out = "";
  let copied = 0;
  const lacksCloser = new Map<number, number>();
  const special = new RegExp(INLINE_SPECIAL.source, "g");
  for (let match = special.exec(text); match; match = special.exec(text)) {
    const at = match.index;
    if (match[0] === "\\") {
      special.lastIndex = at + 2;
      continue;
    }
    if (match[0] === "`") {
      special.lastIndex = codeSpanEnd(text, at, lacksCloser);
      continue;
    }
    if (isCommentStart(text, at)) {
      out += text.slice(copied, at);
      removed.add("html-comments");
      // A markdown reader shows an unterminated `<!--`, but one on its own line starts an HTML block that runs to the end.
      const end = commentEnd(text, at);
      if (end < 0) return out + CUT;
      copied = special.lastIndex = end;
      continue;
    }
    STRICT_TAG.lastIndex = at;
    const tag = STRICT_TAG.exec(text);
    if (!tag) continue;
    const [original, slash, name = "", attributeText = "", selfClose] = tag;
    const attributes = Array.from(attributeText.matchAll(STRICT_ATTRIBUTE), (m) => ({ name: m[1] ?? "", raw: m[0].trimStart() }));
    out += text.slice(copied, at) + rebuildTag(original, name, slash === "/", selfClose === "/", attributes, removed);
    copied = special.lastIndex = at + original.length;
  }
  return out + text.slice(copied);
}

/**
 * Where scanning resumes after the backtick run at `at`: past the matching
 * run that closes a code span, or just past the run itself when nothing
 * closes it. `lacksCloser` remembers, per run length, the line end already
 * searched in vain, so repeated openers do not rescan the line.
 */
function codeSpanEnd(text: string, at: number, lacksCloser: Map<number, number>): number {
  let length = 0;
  while (text[at + length] === "`") length++;
  const lineEnd = text.indexOf("\n", at) < 0 ? text.length : text.indexOf("\n", at);
  if (lacksCloser.get(length) === lineEnd) return at + length;
  for (let from = at + length; ; ) {
    const next = text.indexOf("`", from);
    if (next < 0 || next >= lineEnd) {
      lacksCloser.set(length, lineEnd);
      return at + length;
    }
    let run = 0;
    while (text[next + run] === "`") run++;
    if (run === length) return text.slice(at, next).includes("|") ? at + length : next + run;
    from = next + run;
  }
}

const AUTOLINK = /<(?:[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*|[\w.!#$%&'*+/=?^`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)>/y;
const HTML_SPACE = /[\t\n\f\r ]/;

/**
 * Lines that may be an HTML block go to a browser as they are, and a browser
 * reads tags far more loosely than markdown (`<div title=x"y>` is a tag
 * there). This follows the HTML tokenizer's tag states, one pass, no regex
 * backtracking.
 */
function sanitizeLenientHtml(text: string, removed: Set<RemovedKind>): string {
  let out = "";
  let index = 0;
  while (index < text.length) {
    const lt = text.indexOf("<", index);
    if (lt < 0) break;
    out += text.slice(index, lt);
    AUTOLINK.lastIndex = lt;
    const autolink = AUTOLINK.exec(text);
    if (autolink) {
      out += autolink[0];
      index = lt + autolink[0].length;
      continue;
    }
    const next = text[lt + 1] ?? "";
    const closing = next === "/" && LETTER.test(text[lt + 2] ?? "");
    if (LETTER.test(next) || closing) {
      const tag = readTag(text, closing ? lt + 2 : lt + 1);
      if (!tag) {
        // A browser swallows everything up to the end looking for this tag's `>`.
        removed.add("hidden-elements");
        return out + CUT;
      }
      const original = text.slice(lt, tag.end);
      const rebuilt = rebuildTag(original, tag.name, closing, tag.selfClosing, tag.attributes, removed);
      out += rebuilt;
      index = tag.end;
      if (!closing && rebuilt === openMarker(tag.name.toLowerCase())) {
        // Raw text: a browser looks for the end tag and nothing else.
        const endTag = new RegExp(`</${tag.name}(?=[\\t\\n\\f\\r />])`, "gi");
        endTag.lastIndex = index;
        const end = endTag.exec(text);
        if (!end) return out;
        index = end.index;
      }
      if (rebuilt === CUT) return out;
      continue;
    }
    if (next === "/" || next === "!" || next === "?") {
      // `</ x>`, `<!x>`, `<?x>`: a bogus comment to the next `>`.
      const gt = text.indexOf(">", lt + 2);
      removed.add("html-comments");
      if (gt < 0) return out + CUT;
      index = gt + 1;
      continue;
    }
    out += "<";
    index = lt + 1;
  }
  return out + text.slice(index);
}

interface LenientTag {
  name: string;
  attributes: Attribute[];
  selfClosing: boolean;
  /** Index just past the `>`. */
  end: number;
}

function readTag(text: string, nameStart: number): LenientTag | null {
  let at = nameStart;
  while (at < text.length && !HTML_SPACE.test(text[at] ?? "") && text[at] !== "/" && text[at] !== ">") at++;
  const name = text.slice(nameStart, at);
  const attributes: Attribute[] = [];
  let selfClosing = false;
  for (;;) {
    // Before an attribute name: whitespace and stray slashes are skipped.
    while (at < text.length && (HTML_SPACE.test(text[at] ?? "") || text[at] === "/")) {
      selfClosing = text[at] === "/" && text[at + 1] === ">";
      at++;
    }
    if (at >= text.length) return null;
    if (text[at] === ">") return { name, attributes, selfClosing, end: at + 1 };
    selfClosing = false;
    const attributeStart = at;
    at++; // the first character belongs to the name even when it is `=`
    while (at < text.length && !HTML_SPACE.test(text[at] ?? "") && !["/", ">", "="].includes(text[at] ?? "")) at++;
    const attributeName = text.slice(attributeStart, at);
    let afterName = at;
    while (afterName < text.length && HTML_SPACE.test(text[afterName] ?? "")) afterName++;
    if (text[afterName] === "=") {
      at = afterName + 1;
      while (at < text.length && HTML_SPACE.test(text[at] ?? "")) at++;
      const quote = text[at];
      if (quote === '"' || quote === "'") {
        const close = text.indexOf(quote, at + 1);
        if (close < 0) return null;
        at = close + 1;
      } else {
        while (at < text.length && !HTML_SPACE.test(text[at] ?? "") && text[at] !== ">") at++;
      }
    }
    attributes.push({ name: attributeName, raw: text.slice(attributeStart, at) });
    if (at >= text.length) return null;
  }
}

// ---------------------------------------------------------------------------
// Markdown: image alt text, link titles, link reference definitions.

/*
 * Whitespace between the parts of these patterns is written as one unambiguous
 * run (`[ \t]*(?:\n[ \t]*)?`): two adjacent optional runs of spaces would let
 * a failed match retry every way of splitting a long run between them.
 */
const REFERENCE_DEFINITION =
  /^( {0,3}\[((?:[^[\]\\\n]|\\[^\n]|\n(?![ \t]*\n)){1,999})\]:)[ \t]*(?:\n[ \t]*)?(<[^<>\n]*>|[^\s<>]\S*)(?:(?:[ \t]+(?:\n[ \t]*)?|\n[ \t]*)("(?:[^"\\]|\\[\s\S])*"|'(?:[^'\\]|\\[\s\S])*'|\((?:[^()\\]|\\[\s\S])*\)))?[ \t]*$/gm;
const FOOTNOTE_DEFINITION = /^ {0,3}\[\^([^\]\n]{1,999})\]:.*$/gm;
const BRACKETED = /\[((?:[^[\]\\]|\\[\s\S]){0,999})\]/g;
const IMAGE = /!\[((?:[^[\]\\]|\\[\s\S]|\[(?:[^[\]\\]|\\[\s\S])*\])*)\](\(|\[(?:[^[\]\\]|\\[\s\S])*\])?/g;
/** `](destination "title")`; a title needs whitespace before it, or it is part of the destination. */
const LINK_TITLE =
  /\]\([ \t]*(?:\n[ \t]*)?(<[^<>\n]*>|(?:[^\s()<>]|\([^\s()]*\))+)(?:[ \t]+(?:\n[ \t]*)?|\n[ \t]*)("(?:[^"\\]|\\[\s\S])*"|'(?:[^'\\]|\\[\s\S])*'|\((?:[^()\\]|\\[\s\S])*\))[ \t]*(?:\n[ \t]*)?\)/g;
const MARKERS = /\u0000[^\u0000]*\u0000/g;

function normalizeLabel(label: string): string {
  return label.trim().replace(/\s+/g, " ").toLowerCase();
}

/** Markers inside text being removed still have to reach the final pass. */
function markersIn(text: string): string {
  return text.includes(MARK) ? (text.match(MARKERS) ?? []).join("") : "";
}

function rewriteMarkdown(pieces: readonly string[], segments: readonly Segment[], removed: Set<RemovedKind>): string[] {
  const isProse = (index: number): boolean => segments[index]?.kind === "prose";
  const definitions = new Map<string, string>();
  pieces.forEach((piece, index) => {
    if (!isProse(index)) return;
    for (const match of piece.matchAll(REFERENCE_DEFINITION)) {
      const label = normalizeLabel(match[2] ?? "");
      if (label && !label.startsWith("^") && !definitions.has(label)) definitions.set(label, match[3] ?? "");
    }
  });

  // Images first: a shortcut image turns into an inline one, which can leave its definition unused.
  const withImages = pieces.map((piece, index) => (isProse(index) ? stripImageAlt(piece, definitions, removed) : piece));

  const referenced = new Set<string>();
  withImages.forEach((piece, index) => {
    if (!isProse(index)) return;
    const withoutDefinitions = piece.replace(REFERENCE_DEFINITION, "").replace(FOOTNOTE_DEFINITION, "");
    for (const match of withoutDefinitions.matchAll(BRACKETED)) referenced.add(normalizeLabel(match[1] ?? ""));
  });

  return withImages.map((piece, index) => {
    if (!isProse(index)) return piece;
    let text = piece.replace(FOOTNOTE_DEFINITION, (match: string, label: string) => {
      // GitHub shows a footnote only where it is referenced.
      if (referenced.has(normalizeLabel(`^${label}`))) return match;
      removed.add("link-reference-definitions");
      return markersIn(match);
    });
    text = text.replace(REFERENCE_DEFINITION, (match: string, start: string, label: string, destination: string, title: string | undefined) => {
      // An unused definition renders as nothing at all: `[//]: # (hidden)` is a well-known comment trick.
      if (!referenced.has(normalizeLabel(label))) {
        removed.add("link-reference-definitions");
        return markersIn(match);
      }
      if (title === undefined) return match;
      removed.add("link-titles");
      return `${start} ${destination}${markersIn(title)}`;
    });
    return text.replace(LINK_TITLE, (match: string, destination: string, title: string) => {
      if (title.length <= 2) return match;
      removed.add("link-titles");
      return `](${destination})${markersIn(title)}`;
    });
  });
}

function stripImageAlt(text: string, definitions: ReadonlyMap<string, string>, removed: Set<RemovedKind>): string {
  if (!text.includes("![")) return text;
  return text.replace(IMAGE, (match: string, alt: string, after: string | undefined) => {
    if (alt === "") return match;
    const markers = markersIn(alt);
    if (after === "(") {
      removed.add("image-alt-text");
      return `${markers}![](`;
    }
    if (after !== undefined && after !== "[]") {
      removed.add("image-alt-text");
      return `${markers}![]${after}`;
    }
    // `![alt]` and `![alt][]` are images only when a definition names them; otherwise they are visible text.
    const destination = definitions.get(normalizeLabel(alt));
    if (destination === undefined) return match;
    removed.add("image-alt-text");
    return `${markers}![](${destination})`;
  });
}

// ---------------------------------------------------------------------------
// Hidden elements: remove from each opening marker to the last matching
// closing marker (the real end can only be there or earlier), or to the end.

function applyHiddenMarkers(text: string, removed: Set<RemovedKind>): string {
  if (!text.includes(MARK)) return text;
  let out = "";
  let index = 0;
  for (;;) {
    const start = text.indexOf(MARK, index);
    if (start < 0) return out + text.slice(index);
    out += text.slice(index, start);
    const end = text.indexOf(MARK, start + 1);
    const marker = text.slice(start + 1, end);
    if (marker === "E") return out;
    if (marker.startsWith("C")) {
      index = end + 1;
      continue;
    }
    const close = closeMarker(marker.slice(1));
    const last = text.lastIndexOf(close);
    if (last < end) return out;
    index = last + close.length;
  }
}
