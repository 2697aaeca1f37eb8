import Anthropic from "@anthropic-ai/sdk";
import { wellFormedDeep } from "./well-formed.js";

export type MessageRequest = Anthropic.Messages.MessageCreateParamsNonStreaming;
export type MessageResponse = Anthropic.Messages.Message;

/** The one call the agent loop makes; tests and the CLI can swap the client. */
export interface ModelClient {
  createMessage(request: MessageRequest, options: { signal: AbortSignal }): Promise<MessageResponse>;
}

export interface AnthropicClientOptions {
  apiKey: string;
  baseURL?: string;
  /** The SDK retries 408/409/429/5xx/529 with exponential backoff. */
  maxRetries?: number;
  /** Per request, in ms. */
  timeoutMs?: number;
}

export function createAnthropicModelClient(options: AnthropicClientOptions): ModelClient {
  const client = new Anthropic({
    apiKey: options.apiKey,
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    maxRetries: options.maxRetries ?? 4,
    timeout: options.timeoutMs ?? 10 * 60_000,
  });
  return {
    createMessage(request, { signal }) {
      return client.messages.create(wellFormedDeep(request), { signal });
    },
  };
}
