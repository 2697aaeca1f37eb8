import { createRequire } from "node:module";
import type { EmitterWebhookEvent, EmitterWebhookEventName } from "@octokit/webhooks";
import type { WebhookDefinition } from "@octokit/webhooks-examples";

/** Event names without an action: `issues`, `push`, … */
export type WebhookEventName = EmitterWebhookEvent["name"];

/*
 * Real webhook payloads from @octokit/webhooks-examples (the api.github.com
 * set), handed out as fresh deep clones so a test can change fields freely
 * without leaking into another test.
 *
 * Loaded with `require` because the package's entry point is a JSON file:
 * Node's ESM loader refuses JSON without an import attribute, and its
 * `export default` typing does not match what a NodeNext default import gets.
 */
const definitions = createRequire(import.meta.url)("@octokit/webhooks-examples") as readonly WebhookDefinition[];

/** Actions GitHub sends for `E`, as `@octokit/webhooks` names them (`"labeled"` for `"issues"`). */
export type ActionOf<E extends WebhookEventName> = EmitterWebhookEventName extends infer N
  ? N extends `${E}.${infer A}`
    ? A
    : never
  : never;

/** The payload type Probot hands a handler for `issues.labeled` and the like. */
export type PayloadOf<E extends WebhookEventName, A extends string> = EmitterWebhookEvent<
  Extract<`${E}.${A}`, EmitterWebhookEventName>
>["payload"];

/**
 * A fresh clone of an example payload. `action` picks among the event's
 * examples (required for events that have actions); `index` picks among
 * several examples of the same action. Throws when no such example exists,
 * so a typo fails the test loudly instead of testing nothing.
 */
export function examplePayload<E extends WebhookEventName, A extends ActionOf<E>>(
  event: E,
  action: A,
  index?: number,
): PayloadOf<E, A>;
/** For events without actions (`push`, `create`, …). */
export function examplePayload<E extends WebhookEventName>(event: E): EmitterWebhookEvent<E>["payload"];
export function examplePayload(event: string, action?: string, index = 0): unknown {
  const matching = examplesOf(event).filter((payload) => action === undefined || actionOf(payload) === action);
  const chosen = matching[index];
  if (chosen === undefined) {
    const what = action === undefined ? event : `${event}.${action}`;
    throw new Error(`@octokit/webhooks-examples has no example #${index} for ${what} (it has ${matching.length})`);
  }
  return structuredClone(chosen);
}

/**
 * The event Probot's `receive()` expects, with a fresh example payload. `id`
 * stands in for the `X-GitHub-Delivery` header.
 */
export function exampleEvent<E extends WebhookEventName, A extends ActionOf<E>>(
  event: E,
  action: A,
  options: { id?: string; index?: number } = {},
): EmitterWebhookEvent<Extract<`${E}.${A}`, EmitterWebhookEventName>> {
  const payload = examplePayload(event, action, options.index);
  return { id: options.id ?? "delivery-1", name: event, payload } as unknown as EmitterWebhookEvent<
    Extract<`${E}.${A}`, EmitterWebhookEventName>
  >;
}

/** Every example of every event, each a fresh clone; for properties all payloads must satisfy. */
export function allExamplePayloads(): { event: string; action: string | undefined; payload: unknown }[] {
  return definitions.flatMap((definition) =>
    definition.examples.map((payload) => ({
      event: definition.name,
      action: actionOf(payload),
      payload: structuredClone(payload) as unknown,
    })),
  );
}

function examplesOf(event: string): readonly unknown[] {
  const definition = definitions.find((d) => d.name === event);
  if (!definition) throw new Error(`@octokit/webhooks-examples has no event named ${event}`);
  return definition.examples;
}

function actionOf(payload: unknown): string | undefined {
  if (typeof payload !== "object" || payload === null || !("action" in payload)) return undefined;
  return typeof payload.action === "string" ? payload.action : undefined;
}
