import { describe, expect, it } from "vitest";
import { authorizationConfig, basicCredentials, redactCredentials, withoutCredentials } from "../../src/workspace/git-credentials.js";

const TOKEN = "ghs_abcdefghijklmnopqrstuvwxyz0123456789";

describe("git credentials", () => {
  it("sends the token as GitHub's basic credentials, resetting other extra headers first", () => {
    const encoded = basicCredentials(TOKEN);
    expect(Buffer.from(encoded, "base64").toString()).toBe(`x-access-token:${TOKEN}`);
    expect(authorizationConfig(TOKEN)).toEqual([
      ["http.extraHeader", ""],
      ["http.extraHeader", `Authorization: Basic ${encoded}`],
    ]);
  });

  it("redacts the token, its header form, any authorization header and URL passwords", () => {
    const text = [
      `fatal: unable to access 'https://x-access-token:${TOKEN}@github.com/a/b.git/'`,
      `> Authorization: Basic ${basicCredentials(TOKEN)}`,
      `> authorization: Bearer something-else`,
      `token ${TOKEN} again`,
    ].join("\n");
    const redacted = redactCredentials(text, TOKEN);
    expect(redacted).not.toContain(TOKEN);
    expect(redacted).not.toContain(basicCredentials(TOKEN));
    expect(redacted).not.toContain("something-else");
    expect(redacted).toContain("https://[REDACTED]@github.com/a/b.git/");
  });

  it("strips user and password from a clone URL", () => {
    expect(withoutCredentials(`https://x-access-token:${TOKEN}@ghe.example.com/a/b.git`)).toBe("https://ghe.example.com/a/b.git");
    expect(withoutCredentials("https://github.com/a/b.git")).toBe("https://github.com/a/b.git");
    expect(withoutCredentials("/srv/git/a/b.git")).toBe("/srv/git/a/b.git");
  });
});
