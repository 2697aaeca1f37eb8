import type Anthropic from "@anthropic-ai/sdk";

type MessageParam = Anthropic.Messages.MessageParam;
type ContentBlockParam = Anthropic.Messages.ContentBlockParam;

/**
 * Marks the moving tail of the conversation for prompt caching. The system
 * prompt carries its own breakpoint (covering the tools before it); here the
 * newest user message gets one, so the next turn reads everything up to it
 * from cache, and so does the user message before it, so a turn that added
 * more than the API's 20-block lookback still finds the previous entry.
 * That is 3 of the 4 breakpoints the API allows. The stored conversation is
 * not changed: breakpoints only exist in the request.
 */
export function withCacheBreakpoints(messages: readonly MessageParam[]): MessageParam[] {
  const userIndexes = messages.flatMap((m, i) => (m.role === "user" ? [i] : []));
  const marked = new Set(userIndexes.slice(-2));
  return messages.map((message, index) => (marked.has(index) ? markLastBlock(message) : message));
}

function markLastBlock(message: MessageParam): MessageParam {
  const blocks: ContentBlockParam[] =
    typeof message.content === "string" ? [{ type: "text", text: message.content }] : [...message.content];
  const last = blocks.at(-1);
  if (!last || !("cache_control" in last || last.type === "text" || last.type === "tool_result")) return message;
  blocks[blocks.length - 1] = { ...last, cache_control: { type: "ephemeral" } } as ContentBlockParam;
  return { ...message, content: blocks } as MessageParam;
}
