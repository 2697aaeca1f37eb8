import { APIError, APIUserAbortError } from "@anthropic-ai/sdk";
import type Anthropic from "@anthropic-ai/sdk";
import { withCacheBreakpoints } from "./cache-breakpoints.js";
import type { MessageRequest, MessageResponse, ModelClient } from "./model-client.js";
import { addUsage, costOf, EMPTY_USAGE, priceFor } from "./pricing.js";
import type { ModelPrice, TokenUsage } from "./pricing.js";
import { runToolCalls } from "./run-tool-calls.js";
import type { Tool, ToolContext } from "./tools/tool.js";
import { NO_TRANSCRIPT } from "./transcript.js";
import type { Transcript } from "./transcript.js";

type MessageParam = Anthropic.Messages.MessageParam;

export interface AgentLimits {
  maxTurns: number;
  maxCostUsd: number;
  maxWallMs: number;
  /** Input + output tokens over the whole run; optional. */
  maxTotalTokens?: number;
}

export type StopReason =
  | "completed"
  | "max_turns"
  | "max_cost"
  | "max_tokens_total"
  | "wall_clock"
  | "cancelled"
  | "model_error"
  | "refusal";

export type AgentEvent =
  | { type: "turn"; turn: number; model: string }
  | { type: "tool"; turn: number; name: string; summary: string }
  | { type: "usage"; turn: number; usage: TokenUsage; costUsd: number }
  | { type: "fallback"; from: string; to: string; reason: string };

export interface AgentRunOptions {
  client: ModelClient;
  model: string;
  fallbackModel?: string;
  system: string;
  /** The next user message: the task, or (with `history`) test failures to fix. */
  firstMessage: string;
  /** An earlier run's conversation to continue (a fix round keeps everything the agent learned). */
  history?: MessageParam[];
  tools: Tool[];
  toolContext: Omit<ToolContext, "signal">;
  limits: AgentLimits;
  /** Output tokens per response. */
  maxOutputTokens?: number;
  /** Tool output beyond this many characters is cut to head and tail. */
  maxToolOutputChars?: number;
  signal?: AbortSignal;
  transcript?: Transcript;
  onEvent?: (event: AgentEvent) => void;
  prices?: Record<string, ModelPrice>;
  now?: () => number;
}

export interface AgentRunResult {
  /** The model's last text: the report, when it finished. */
  finalText: string;
  stopReason: StopReason;
  /** A sentence a person can act on when the run did not complete. */
  stopDetail: string;
  turns: number;
  usage: TokenUsage;
  costUsd: number;
  /** False when a model's price was unknown and the most expensive one was assumed. */
  costIsEstimate: boolean;
  durationMs: number;
  model: string;
  messages: MessageParam[];
}

/**
 * The agent loop: ask the model, run the tools it asks for, repeat until it
 * answers without tools or a limit stops it. Tools, limits, pricing and the
 * transcript are passed in; nothing here knows about GitHub.
 */
export async function runAgent(options: AgentRunOptions): Promise<AgentRunResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const transcript = options.transcript ?? NO_TRANSCRIPT;
  const wall = AbortSignal.timeout(options.limits.maxWallMs);
  const signal = options.signal ? AbortSignal.any([options.signal, wall]) : wall;
  const toolContext: ToolContext = { ...options.toolContext, signal };
  const toolDefinitions = options.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.inputSchema }));

  const messages = appendUserText(options.history ?? [], options.firstMessage);
  let model = options.model;
  let usage = EMPTY_USAGE;
  let costUsd = 0;
  let costIsEstimate = false;
  let turns = 0;
  let finalText = "";
  /** Text of replies cut off at the output limit, which the next reply continues. */
  let cutText = "";

  const finish = (stopReason: StopReason, stopDetail: string): AgentRunResult => {
    transcript.write({ type: "event", event: "stop", stopReason, stopDetail, turns, usage, costUsd });
    return { finalText, stopReason, stopDetail, turns, usage, costUsd, costIsEstimate, durationMs: now() - started, model, messages };
  };
  const stopIfAborted = (): AgentRunResult | undefined => {
    if (wall.aborted) return finish("wall_clock", `the run reached its time limit of ${Math.round(options.limits.maxWallMs / 60_000)} minutes`);
    if (signal.aborted) return finish("cancelled", describeAbort(options.signal?.reason));
    return undefined;
  };

  for (;;) {
    const aborted = stopIfAborted();
    if (aborted) return aborted;
    if (turns >= options.limits.maxTurns) return finish("max_turns", `the agent used all ${options.limits.maxTurns} turns`);
    if (costUsd >= options.limits.maxCostUsd) {
      return finish("max_cost", `the run reached its budget of $${options.limits.maxCostUsd.toFixed(2)}`);
    }
    const total = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens + usage.outputTokens;
    if (options.limits.maxTotalTokens !== undefined && total >= options.limits.maxTotalTokens) {
      return finish("max_tokens_total", `the run used its ${options.limits.maxTotalTokens} tokens`);
    }

    turns++;
    options.onEvent?.({ type: "turn", turn: turns, model });
    const request: MessageRequest = {
      model,
      max_tokens: options.maxOutputTokens ?? 16_000,
      system: [{ type: "text", text: options.system, cache_control: { type: "ephemeral" } }],
      tools: toolDefinitions,
      messages: withCacheBreakpoints(messages),
    };

    let response: MessageResponse;
    try {
      response = await callWithFallback(request);
    } catch (error) {
      const stopped = stopIfAborted();
      if (stopped) return stopped;
      transcript.write({ type: "model_error", model, error: describeModelError(error) });
      return finish("model_error", `the model API failed: ${describeModelError(error)}`);
    }

    const turnUsage = usageOf(response);
    const { price, known } = priceFor(response.model || model, options.prices);
    costIsEstimate ||= !known;
    usage = addUsage(usage, turnUsage);
    costUsd += costOf(turnUsage, price);
    options.onEvent?.({ type: "usage", turn: turns, usage, costUsd });
    messages.push({ role: "assistant", content: response.content });
    const raw = response.content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("\n");
    // A reply cut off at the output limit is continued in the next turn, maybe mid-word:
    // the report is the pieces joined as written.
    const joined = `${cutText}${raw}`;
    if (joined.trim()) finalText = joined.trim();
    cutText = response.stop_reason === "max_tokens" ? joined : "";

    const toolUses = response.content.filter((b): b is Anthropic.Messages.ToolUseBlock => b.type === "tool_use");
    if (toolUses.length > 0 && response.stop_reason === "max_tokens") {
      // The last call's input may be cut off too (half a file for Edit): run none of them.
      messages.push({
        role: "user",
        content: [
          ...toolUses.map((use) => ({
            type: "tool_result" as const,
            tool_use_id: use.id,
            is_error: true,
            content: "Not run: your reply hit the output limit, so this call may be incomplete. Send it again, in smaller pieces if it is large.",
          })),
        ],
      });
      cutText = "";
      continue;
    }
    if (toolUses.length > 0) {
      const results = await runToolCalls(toolUses, options.tools, toolContext, {
        maxOutputChars: options.maxToolOutputChars ?? 30_000,
        transcript,
        onTool: (name, summary) => options.onEvent?.({ type: "tool", turn: turns, name, summary }),
      });
      messages.push({ role: "user", content: results });
      continue;
    }
    if (response.stop_reason === "max_tokens") {
      messages.push({
        role: "user",
        content: [{ type: "text", text: "Your reply hit the output limit and was cut off. Continue where you stopped; keep the final report concise." }],
      });
      continue;
    }
    if (response.stop_reason === "refusal") return finish("refusal", "the model declined to continue this task");
    return finish("completed", "the agent finished and wrote its report");
  }

  async function callWithFallback(request: MessageRequest): Promise<MessageResponse> {
    transcript.write({ type: "request", request });
    try {
      const response = await options.client.createMessage(request, { signal });
      transcript.write({ type: "response", response });
      return response;
    } catch (error) {
      const fallback = options.fallbackModel;
      // The SDK already retried with backoff; a different model is the last resort.
      if (!fallback || fallback === model || signal.aborted || !isModelUnavailable(error)) throw error;
      transcript.write({ type: "model_error", model, error: describeModelError(error) });
      options.onEvent?.({ type: "fallback", from: model, to: fallback, reason: describeModelError(error) });
      model = fallback;
      const retry = { ...request, model };
      transcript.write({ type: "request", request: retry });
      const response = await options.client.createMessage(retry, { signal });
      transcript.write({ type: "response", response });
      return response;
    }
  }
}

/** Roles must alternate: a history that ended on tool results gets the new text in the same message. */
function appendUserText(history: readonly MessageParam[], text: string): MessageParam[] {
  const messages = [...history];
  const last = messages.at(-1);
  if (last?.role === "user") {
    const content = typeof last.content === "string" ? [{ type: "text" as const, text: last.content }] : [...last.content];
    messages[messages.length - 1] = { role: "user", content: [...content, { type: "text", text }] };
  } else {
    messages.push({ role: "user", content: [{ type: "text", text }] });
  }
  return messages;
}

function usageOf(response: MessageResponse): TokenUsage {
  const u = response.usage;
  return {
    inputTokens: u?.input_tokens ?? 0,
    outputTokens: u?.output_tokens ?? 0,
    cacheReadTokens: u?.cache_read_input_tokens ?? 0,
    cacheWriteTokens: u?.cache_creation_input_tokens ?? 0,
  };
}

/** Overloaded, rate-limited, server errors and unknown models: worth trying another model. */
function isModelUnavailable(error: unknown): boolean {
  if (error instanceof APIUserAbortError) return false;
  if (error instanceof APIError) {
    const status = error.status;
    return status === undefined || status === 404 || status === 429 || status >= 500;
  }
  return false;
}

function describeModelError(error: unknown): string {
  if (error instanceof APIError) {
    const status = error.status ? `HTTP ${error.status}` : "no response";
    if (error.status === 529) return `${status}: the model is overloaded`;
    if (error.status === 429) return `${status}: rate limited`;
    if (error.status === 401) return `${status}: the API key was rejected (check ANTHROPIC_API_KEY)`;
    if (error.status === 404) return `${status}: unknown model or endpoint (check PLANWRIGHT_MODEL and ANTHROPIC_BASE_URL)`;
    return `${status}: ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function describeAbort(reason: unknown): string {
  if (reason instanceof Error && reason.message) return reason.message;
  if (typeof reason === "string" && reason) return reason;
  return "the run was stopped";
}
