/**
 * List prices per million tokens, used to estimate a run's cost and enforce
 * its budget. They are estimates (the invoice is authoritative) and can be
 * overridden when prices change.
 */
export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
  /** Writing the 5-minute cache costs 1.25x input; reading it 0.1x. */
  cacheWritePerMTok: number;
  cacheReadPerMTok: number;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export const EMPTY_USAGE: TokenUsage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };

function price(input: number, output: number): ModelPrice {
  return { inputPerMTok: input, outputPerMTok: output, cacheWritePerMTok: input * 1.25, cacheReadPerMTok: input * 0.1 };
}

/** Matched by prefix, most specific first. */
const PRICES: ReadonlyArray<[prefix: string, price: ModelPrice]> = [
  ["claude-opus-4-1", price(15, 75)],
  ["claude-opus-4-0", price(15, 75)],
  ["claude-opus-4-2025", price(15, 75)],
  ["claude-opus", price(5, 25)],
  ["claude-sonnet", price(3, 15)],
  ["claude-haiku-3", price(0.8, 4)],
  ["claude-haiku", price(1, 5)],
  ["claude-3-5-haiku", price(0.8, 4)],
  // Older names, still served: priced at the top rate they would stop a run at a fifth of its budget.
  ["claude-3-7-sonnet", price(3, 15)],
  ["claude-3-5-sonnet", price(3, 15)],
  ["claude-3-opus", price(15, 75)],
  ["claude-3-haiku", price(0.25, 1.25)],
];

/** Unknown models are priced like the most expensive family we know, so budgets err on the safe side. */
const UNKNOWN_MODEL_PRICE = price(15, 75);

export function priceFor(model: string, overrides: Record<string, ModelPrice> = {}): { price: ModelPrice; known: boolean } {
  const override = overrides[model];
  if (override) return { price: override, known: true };
  for (const [prefix, p] of PRICES) if (model.startsWith(prefix)) return { price: p, known: true };
  return { price: UNKNOWN_MODEL_PRICE, known: false };
}

export function costOf(usage: TokenUsage, p: ModelPrice): number {
  return (
    (usage.inputTokens * p.inputPerMTok +
      usage.outputTokens * p.outputPerMTok +
      usage.cacheWriteTokens * p.cacheWritePerMTok +
      usage.cacheReadTokens * p.cacheReadPerMTok) /
    1_000_000
  );
}

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
  };
}

export function totalInput(usage: TokenUsage): number {
  return usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
}
