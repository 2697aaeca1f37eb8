import { describe, expect, it } from "vitest";
import { priceFor } from "../../src/agent/pricing.js";

describe("priceFor", () => {
  it("knows the older model names still served, so their runs get their whole budget", () => {
    expect(priceFor("claude-3-7-sonnet-20250219")).toEqual({ price: priceFor("claude-sonnet-4-5").price, known: true });
    expect(priceFor("claude-3-5-sonnet-20241022").known).toBe(true);
    expect(priceFor("claude-3-haiku-20240307").price.inputPerMTok).toBeLessThan(priceFor("claude-haiku-4-5").price.inputPerMTok);
    expect(priceFor("claude-3-opus-20240229").known).toBe(true);
  });

  it("prices an unknown model at the top rate and says it is a guess", () => {
    expect(priceFor("some-future-model")).toMatchObject({ known: false });
  });
});
