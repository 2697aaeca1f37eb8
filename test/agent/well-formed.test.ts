import { afterEach, describe, expect, it } from "vitest";
import { createAnthropicModelClient } from "../../src/agent/model-client.js";
import { truncateMiddle } from "../../src/agent/truncate-output.js";
import { wellFormedDeep } from "../../src/agent/well-formed.js";
import { startScriptedModel, textReply } from "../helpers/scripted-model.js";
import type { ScriptedModel } from "../helpers/scripted-model.js";

const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

let model: ScriptedModel | undefined;
afterEach(async () => {
  await model?.close();
  model = undefined;
});

describe("wellFormedDeep", () => {
  it("replaces halves of split emoji anywhere in a request, and keeps whole ones", () => {
    const request = { system: [{ type: "text", text: "ok 🚀" }], messages: [{ role: "user", content: [{ type: "tool_result", content: "tail \uDE80 and head \uD83D" }] }] };
    const fixed = wellFormedDeep(request);
    expect(fixed.system).toBe(request.system);
    expect(fixed.messages[0]!.content[0]!.content).toBe("tail \uFFFD and head \uFFFD");
    expect(request.messages[0]!.content[0]!.content).toBe("tail \uDE80 and head \uD83D");
  });

  it("returns the same object when nothing needs fixing", () => {
    const request = { a: ["🚀", { b: "plain" }], n: 3, z: null };
    expect(wellFormedDeep(request)).toBe(request);
  });

  it("is what reaches the model when truncation splits an emoji", async () => {
    const output = `${"🚀".repeat(3000)}`;
    const cut = truncateMiddle(output, 1001);
    // The setup this guards against: the cut really leaves half an emoji.
    expect(LONE.test(cut)).toBe(true);
    model = await startScriptedModel([textReply("done")]);
    const client = createAnthropicModelClient({ apiKey: "sk-ant-test", baseURL: model.url, maxRetries: 0 });
    await client.createMessage(
      { model: "claude-sonnet-5-5", max_tokens: 10, messages: [{ role: "user", content: cut }] },
      { signal: new AbortController().signal },
    );
    const sent = model.requests[0]!.messages[0]!.content as string;
    expect(LONE.test(sent)).toBe(false);
  });
});
