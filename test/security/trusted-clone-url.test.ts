import { describe, expect, it } from "vitest";
import { assertTrustedCloneUrl, UntrustedCloneUrlError } from "../../src/security/trusted-clone-url.js";

const repo = (cloneUrl: string) => ({ cloneUrl, owner: "acme", name: "widgets" });

describe("assertTrustedCloneUrl", () => {
  it("accepts this GitHub's clone URL for the job's repository, whatever the case", () => {
    expect(() => assertTrustedCloneUrl(repo("https://github.com/acme/widgets.git"), "https://github.com")).not.toThrow();
    expect(() => assertTrustedCloneUrl(repo("https://github.com/Acme/Widgets.git"), "https://github.com")).not.toThrow();
    expect(() => assertTrustedCloneUrl(repo("http://ghe.example:8080/acme/widgets.git"), "http://ghe.example:8080/")).not.toThrow();
  });

  it("refuses another host, another repository, or credentials in the URL", () => {
    for (const url of [
      "https://attacker.example/acme/widgets.git",
      "https://github.com.attacker.example/acme/widgets.git",
      "https://github.com/acme/other.git",
      "https://user:pass@github.com/acme/widgets.git",
      "file:///etc/passwd",
    ]) {
      expect(() => assertTrustedCloneUrl(repo(url), "https://github.com"), url).toThrow(UntrustedCloneUrlError);
    }
  });
});
