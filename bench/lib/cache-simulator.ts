import { createHash } from "node:crypto";

/**
 * Estimates what Anthropic's prompt cache would do with a sequence of
 * requests, following its documented rules: the prompt is tools → system →
 * messages; a `cache_control` breakpoint caches the prefix ending there; a
 * later request reads the longest cached prefix found at one of its
 * breakpoints or up to 20 blocks before it; prefixes under the minimum
 * cacheable length are not cached. Tokens are estimated as characters / 4.
 */
export class CacheSimulator {
  private readonly cached = new Set<string>();

  constructor(private readonly minimumTokens = 1024, private readonly lookbackBlocks = 20) {}

  usageFor(request: SimulatedRequest): { input_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number } {
    const blocks = flatten(request);
    const prefixTokens: number[] = [];
    const prefixHashes: string[] = [];
    const hash = createHash("sha256");
    let tokens = 0;
    for (const block of blocks) {
      hash.update(block.key);
      tokens += block.tokens;
      prefixTokens.push(tokens);
      prefixHashes.push(hash.copy().digest("hex"));
    }
    const breakpoints = blocks.flatMap((b, i) => (b.breakpoint ? [i] : []));
    let read = 0;
    for (const bp of breakpoints) {
      for (let i = bp; i >= Math.max(0, bp - this.lookbackBlocks); i--) {
        if (this.cached.has(prefixHashes[i]!)) {
          read = Math.max(read, prefixTokens[i]!);
          break;
        }
      }
    }
    const lastBreakpoint = breakpoints.at(-1);
    const cachedEnd = lastBreakpoint === undefined ? 0 : prefixTokens[lastBreakpoint]!;
    const write = cachedEnd >= this.minimumTokens ? Math.max(0, cachedEnd - read) : 0;
    for (const bp of breakpoints) if (prefixTokens[bp]! >= this.minimumTokens) this.cached.add(prefixHashes[bp]!);
    return { input_tokens: tokens - read - write, cache_read_input_tokens: read, cache_creation_input_tokens: write };
  }
}

export interface SimulatedRequest {
  system?: Array<Record<string, unknown>> | string;
  tools?: Array<Record<string, unknown>>;
  messages: Array<{ role: string; content: string | Array<Record<string, unknown>> }>;
}

interface Block {
  key: string;
  tokens: number;
  breakpoint: boolean;
}

function flatten(request: SimulatedRequest): Block[] {
  const blocks: Block[] = [];
  const add = (value: Record<string, unknown>, prefix: string) => {
    const { cache_control, ...rest } = value;
    const key = `${prefix}:${JSON.stringify(rest)}`;
    blocks.push({ key, tokens: Math.ceil(key.length / 4), breakpoint: cache_control !== undefined });
  };
  for (const tool of request.tools ?? []) add(tool, "tool");
  const system = typeof request.system === "string" ? [{ type: "text", text: request.system }] : (request.system ?? []);
  for (const block of system) add(block, "system");
  for (const [i, message] of request.messages.entries()) {
    const content = typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
    for (const block of content) add(block, `${message.role}${i}`);
  }
  return blocks;
}
