/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Replaces lone UTF-16 surrogates with U+FFFD in every string of a request.
 * Cutting text by length (long tool output, capped issue text) can split an
 * emoji in half; JSON carries the half as `\ud83d`, and the Messages API
 * rejects the whole request with a 400 ("no low surrogate in string"),
 * which would end the run. Untouched strings are returned as they are.
 */
export function wellFormedDeep<T>(value: T): T {
  if (typeof value === "string") {
    LONE_SURROGATE.lastIndex = 0;
    return (LONE_SURROGATE.test(value) ? value.replace(LONE_SURROGATE, "\uFFFD") : value) as T;
  }
  if (Array.isArray(value)) {
    let changed = false;
    const mapped = value.map((item: unknown) => {
      const next = wellFormedDeep(item);
      if (next !== item) changed = true;
      return next;
    });
    return (changed ? mapped : value) as T;
  }
  if (value !== null && typeof value === "object") {
    let changed = false;
    const entries = Object.entries(value).map(([key, item]) => {
      const next = wellFormedDeep(item);
      if (next !== item) changed = true;
      return [key, next] as const;
    });
    return (changed ? Object.fromEntries(entries) : value) as T;
  }
  return value;
}
