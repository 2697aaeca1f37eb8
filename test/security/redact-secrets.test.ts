import { describe, expect, it } from "vitest";
import { MIN_KNOWN_SECRET_LENGTH, createRedactor, redactDeep, redactSecrets } from "../../src/security/redact-secrets.js";

/** Fake credentials with the real shapes, assembled at runtime so no scanner mistakes this file for a leak. */
const body36 = "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2";
const classic = (prefix: string): string => `${prefix}_${body36}`;
const jwtPart = (seed: string, length: number): string => seed.repeat(Math.ceil(length / seed.length)).slice(0, length);
/** The 2026 installation token format: `ghs_<app id>_<JWT>`, about 520 characters. */
const statelessInstallationToken = `ghs_123456_eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.${jwtPart("eyJpbnN0YWxsYXRpb24iOjQyLCJhcHAiOjEyMzQ1Nn0", 300)}.${jwtPart("c2lnbmF0dXJlLV9zaWduYXR1cmU-_", 170)}`;
const fineGrained = `github_pat_11ABCDEFG0${"aB3dE6gH9j".repeat(8)}`;
const anthropicKey = `sk-ant-api03-${"Zx9_Yw8-Vu7".repeat(8)}AA`;
const awsKeyId = ["AKIA", "IOSFODNN7EXAMPLE"].join("");
const awsSecret = ["wJalrXUtnFEMI", "K7MDENG", "bPxRfiCYEXAMPLEKEY"].join("/");
const pemBody = ["MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun", "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK", "LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo"];
const pem = (eol: string, kind = "RSA PRIVATE KEY"): string => [`-----BEGIN ${kind}-----`, ...pemBody, `-----END ${kind}-----`].join(eol);

describe("redactSecrets: GitHub tokens", () => {
  it.each(["ghp", "gho", "ghu", "ghs", "ghr"])("redacts a classic %s_ token", (prefix) => {
    expect(redactSecrets(`token=${classic(prefix)} next`)).toBe("token=[REDACTED:github-token] next");
  });

  it("redacts the stateless installation token format whatever its length", () => {
    expect(statelessInstallationToken.length).toBeGreaterThan(500);
    expect(redactSecrets(`GITHUB_TOKEN=${statelessInstallationToken}. Done`)).toBe("GITHUB_TOKEN=[REDACTED:github-token]. Done");
  });

  it("redacts fine-grained personal access tokens", () => {
    expect(redactSecrets(`export GH_TOKEN="${fineGrained}"`)).toBe('export GH_TOKEN="[REDACTED:github-token]"');
  });

  it.each([
    ["a word starting with gho", "the ghost_writer module"],
    ["a bare prefix in documentation", "tokens start with ghs_ or ghp_"],
    ["a snake_case identifier", "test ghs_installation_token_format_is_opaque"],
    ["a prefix glued to a longer identifier", `my_${classic("ghp")}`],
    ["a commit sha", "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904"],
    ["a UUID", "run 123e4567-e89b-12d3-a456-426614174000"],
  ])("leaves %s alone", (_name, text) => {
    expect(redactSecrets(text)).toBe(text);
  });
});

describe("redactSecrets: other credentials", () => {
  it("redacts Anthropic API keys", () => {
    expect(redactSecrets(`x-api-key: ${anthropicKey}`)).toBe("x-api-key: [REDACTED:anthropic-key]");
    expect(redactSecrets("keys look like sk-ant-...")).toBe("keys look like sk-ant-...");
  });

  it("redacts AWS access key ids", () => {
    expect(redactSecrets(`id ${awsKeyId} and ${awsKeyId.replace("AKIA", "ASIA")}`)).toBe("id [REDACTED:aws-access-key-id] and [REDACTED:aws-access-key-id]");
    expect(redactSecrets(`${awsKeyId}X ${awsKeyId.slice(0, -1)} akiaiosfodnn7example`)).toBe(`${awsKeyId}X ${awsKeyId.slice(0, -1)} akiaiosfodnn7example`);
  });

  it.each([
    [`aws_secret_access_key = ${awsSecret}`, "aws_secret_access_key = [REDACTED:aws-secret]"],
    [`export AWS_SECRET_ACCESS_KEY=${awsSecret}`, "export AWS_SECRET_ACCESS_KEY=[REDACTED:aws-secret]"],
    [`{"SecretAccessKey": "${awsSecret}"}`, '{"SecretAccessKey": "[REDACTED:aws-secret]"}'],
    [`secretAccessKey: '${awsSecret}'`, "secretAccessKey: '[REDACTED:aws-secret]'"],
    [`aws_session_token=${"FwoGZXIvYXdzEJr".repeat(4)}`, "aws_session_token=[REDACTED:aws-secret]"],
  ])("redacts the value in %s", (text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });

  it("leaves a secret-key setting without a value alone", () => {
    expect(redactSecrets("set aws_secret_access_key in ~/.aws/credentials")).toBe("set aws_secret_access_key in ~/.aws/credentials");
  });

  it.each([
    ["Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "Authorization: Bearer [REDACTED:authorization]"],
    ["curl -H 'Authorization: token abcdef0123456789' https://x", "curl -H 'Authorization: token [REDACTED:authorization]' https://x"],
    ["Authorization: Basic eC1hY2Nlc3MtdG9rZW46c2VjcmV0==", "Authorization: Basic [REDACTED:authorization]"],
    ['{"authorization": "Bearer abcdefgh12345678"}', '{"authorization": "Bearer [REDACTED:authorization]"}'],
    ["Proxy-Authorization: Basic dXNlcjpwYXNzd29yZA==", "Proxy-Authorization: Basic [REDACTED:authorization]"],
    ["token_type bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0", "token_type bearer [REDACTED:authorization]"],
  ])("redacts the credential in %s", (text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });

  it("keeps an Authorization header with a placeholder, as in documentation", () => {
    const text = "Send `Authorization: Bearer <token>` or Authorization: Bearer ${TOKEN}";
    expect(redactSecrets(text)).toBe(text);
  });

  it("shows an already-redacted token in a header once, not twice", () => {
    expect(redactSecrets(`Authorization: token ${classic("ghs")}`)).toBe("Authorization: token [REDACTED:github-token]");
  });
});

describe("redactSecrets: URLs with credentials", () => {
  it.each([
    ["https://user:hunter2@example.com/repo.git", "https://***@example.com/repo.git"],
    [`https://x-access-token:${classic("ghs")}@github.com/o/r.git`, "https://***@github.com/o/r.git"],
    ["redis://:s3cret@redis:6379/0", "redis://***@redis:6379/0"],
    ["postgres://app:p@ss:w0rd@db/app", "postgres://***@db/app"],
    ["https://abcdef0123456789abcdef0123456789abcdef01@github.com/o/r", "https://***@github.com/o/r"],
  ])("hides the credentials in %s", (text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });

  it("leaves URLs without credentials alone", () => {
    const text = "ssh://git@github.com/o/r https://github.com:443/o/r git@github.com:o/r.git mailto:ops@example.com http://localhost:3000/a@b";
    expect(redactSecrets(text)).toBe(text);
  });
});

describe("redactSecrets: PEM private keys", () => {
  it.each([["RSA PRIVATE KEY"], ["PRIVATE KEY"], ["EC PRIVATE KEY"], ["OPENSSH PRIVATE KEY"], ["ENCRYPTED PRIVATE KEY"]])("redacts a %s block whole", (kind) => {
    expect(redactSecrets(`key:\n${pem("\n", kind)}\nafter`)).toBe("key:\n[REDACTED:private-key]\nafter");
  });

  it("redacts a block with CRLF line endings", () => {
    expect(redactSecrets(`a\r\n${pem("\r\n")}\r\nb`)).toBe("a\r\n[REDACTED:private-key]\r\nb");
  });

  it("redacts a block escaped inside a JSON string", () => {
    expect(redactSecrets(JSON.stringify({ key: pem("\n") }))).toBe('{"key":"[REDACTED:private-key]"}');
  });

  it("redacts an encrypted key with its headers", () => {
    const key = ["-----BEGIN RSA PRIVATE KEY-----", "Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-128-CBC,0123456789ABCDEF", "", ...pemBody, "-----END RSA PRIVATE KEY-----"].join("\n");
    expect(redactSecrets(key)).toBe("[REDACTED:private-key]");
  });

  it("redacts a key cut off before its END line, and nothing after its body", () => {
    const truncated = ["-----BEGIN OPENSSH PRIVATE KEY-----", ...pemBody.slice(0, 2), "", "The tests passed."].join("\n");
    expect(redactSecrets(truncated)).toBe("[REDACTED:private-key]\n\nThe tests passed.");
  });

  it("leaves certificates and public keys alone", () => {
    const certificate = ["-----BEGIN CERTIFICATE-----", ...pemBody, "-----END CERTIFICATE-----", "-----BEGIN PUBLIC KEY-----", pemBody[0], "-----END PUBLIC KEY-----"].join("\n");
    expect(redactSecrets(certificate)).toBe(certificate);
  });
});

describe("createRedactor: known secrets", () => {
  it("redacts each known value wherever it appears", () => {
    const redact = createRedactor(["webhook-secret-value", "another secret!"]);
    expect(redact("sig webhook-secret-value; another secret! twice: webhook-secret-value")).toBe(
      "sig [REDACTED:known-secret]; [REDACTED:known-secret] twice: [REDACTED:known-secret]",
    );
  });

  it(`ignores known values shorter than ${MIN_KNOWN_SECRET_LENGTH} characters, which would redact ordinary words`, () => {
    const redact = createRedactor(["test", "1234567", "", "   "]);
    expect(redact("test 1234567 passed")).toBe("test 1234567 passed");
  });

  it("treats regular-expression characters in a value literally", () => {
    const redact = createRedactor(["a.b*c+d?(e)[f]{g}|h^$\\"]);
    expect(redact("x a.b*c+d?(e)[f]{g}|h^$\\ y aXbbbcd")).toBe("x [REDACTED:known-secret] y aXbbbcd");
  });

  it("redacts the longer of two overlapping values whole", () => {
    const redact = createRedactor(["secret-12345", "secret-12345-and-more"]);
    expect(redact("secret-12345-and-more")).toBe("[REDACTED:known-secret]");
  });

  it("matches a known PEM key whatever its line endings, trimmed or escaped", () => {
    const redact = createRedactor([`${pem("\n")}\n`]);
    expect(redact(`a ${pem("\r\n")} b`)).toBe("a [REDACTED:known-secret] b");
    expect(redact(`a ${pem("\n")} b`)).toBe("a [REDACTED:known-secret] b");
    expect(redact(JSON.stringify({ key: pem("\r\n") }))).toBe('{"key":"[REDACTED:known-secret]"}');
  });

  it("matches a known value URL-encoded in a URL", () => {
    const redact = createRedactor(["p@ss/w0rd:x"]);
    expect(redact(`https://u:${encodeURIComponent("p@ss/w0rd:x")}@host`)).not.toContain("w0rd");
  });

  it("redacts a current installation token even when it has no recognisable prefix", () => {
    const redact = createRedactor(["v1.0123456789abcdef0123456789abcdef01234567"]);
    expect(redact("token v1.0123456789abcdef0123456789abcdef01234567")).toBe("token [REDACTED:known-secret]");
  });

  it("also applies the patterns", () => {
    expect(createRedactor(["known-value-1"])(`known-value-1 ${classic("ghp")}`)).toBe("[REDACTED:known-secret] [REDACTED:github-token]");
  });
});

describe("redactSecrets: behaviour on large and repeated input", () => {
  const sample = [
    `token ${classic("ghs")} key ${anthropicKey} id ${awsKeyId}`,
    `url https://x-access-token:${classic("ghs")}@github.com/o/r.git`,
    pem("\n"),
    "ordinary log line with nothing secret in it at all, just words and numbers 12345",
  ].join("\n");

  it("redacts a 5 MB transcript in well under the time limit", () => {
    const text = `${sample}\n`.repeat(Math.ceil((5 * 1024 * 1024) / (sample.length + 1)));
    const redact = createRedactor(["webhook-secret-value", pem("\n")]);
    const started = performance.now();
    const out = redact(text);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(out).not.toContain(body36);
    expect(out).not.toContain(pemBody[0]);
    expect(out).toContain("ordinary log line");
  });

  it.each([
    ["unterminated BEGIN lines", "-----BEGIN RSA PRIVATE KEY-----\n".repeat(100_000), "[REDACTED:private-key]\n".repeat(100_000)],
    ["token prefixes", "ghp_".repeat(250_000), "ghp_".repeat(250_000)],
    ["URL schemes with a colon", "https://a:".repeat(100_000), "https://a:".repeat(100_000)],
    ["secret-key names", "aws_secret_access_key=".repeat(50_000), "aws_secret_access_key=".repeat(50_000)],
    ["a long run of base64", `-----BEGIN PRIVATE KEY-----\n${"A".repeat(1_000_000)}`, "[REDACTED:private-key]"],
  ])("stays linear on %s", (_name, text, expected) => {
    const started = performance.now();
    const out = redactSecrets(text);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(out).toBe(expected);
  });

  it("stays linear on repeated header names", () => {
    const started = performance.now();
    const out = redactSecrets("Authorization: Bearer ".repeat(50_000));
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(out.startsWith("Authorization: Bearer [REDACTED:authorization]: Bearer ")).toBe(true);
  });

  it("is idempotent", () => {
    const once = redactSecrets(sample);
    expect(redactSecrets(once)).toBe(once);
  });
});

describe("redactDeep", () => {
  it("redacts every string in nested objects and arrays, keeping the shape", () => {
    const transcript = {
      turn: 3,
      ok: true,
      missing: null,
      messages: [
        { role: "user", content: [{ type: "text", text: `use ${classic("ghp")}` }] },
        { role: "assistant", content: [{ type: "tool_use", input: { command: `echo ${anthropicKey}`, timeout: 120 } }] },
      ],
      tags: ["a", `b ${awsKeyId}`],
    };
    expect(redactDeep(transcript)).toEqual({
      turn: 3,
      ok: true,
      missing: null,
      messages: [
        { role: "user", content: [{ type: "text", text: "use [REDACTED:github-token]" }] },
        { role: "assistant", content: [{ type: "tool_use", input: { command: "echo [REDACTED:anthropic-key]", timeout: 120 } }] },
      ],
      tags: ["a", "b [REDACTED:aws-access-key-id]"],
    });
  });

  it("does not change its input", () => {
    const input = { nested: { value: classic("ghp") } };
    redactDeep(input);
    expect(input.nested.value).toBe(classic("ghp"));
  });

  it("uses the redactor it is given", () => {
    const redact = createRedactor(["known-value-1"]);
    expect(redactDeep({ a: ["x known-value-1"] }, redact)).toEqual({ a: ["x [REDACTED:known-secret]"] });
  });

  it("redacts credential fields whatever their value looks like", () => {
    expect(redactDeep({ headers: { Authorization: "Bearer x", "x-api-key": "abc", accept: "json" }, password: "hunter2" })).toEqual({
      headers: { Authorization: "[REDACTED:credential-field]", "x-api-key": "[REDACTED:credential-field]", accept: "json" },
      password: "[REDACTED:credential-field]",
    });
  });

  it("survives cycles and returns non-plain objects as they are", () => {
    const date = new Date(0);
    const node: { name: string; self?: unknown; when: Date } = { name: classic("ghp"), when: date };
    node.self = node;
    const copy = redactDeep(node);
    expect(copy.name).toBe("[REDACTED:github-token]");
    expect(copy.self).toBe(copy);
    expect(copy.when).toBe(date);
  });

  it("redacts a bare string and passes other primitives through", () => {
    expect(redactDeep(classic("gho"))).toBe("[REDACTED:github-token]");
    expect(redactDeep(42)).toBe(42);
    expect(redactDeep(undefined)).toBeUndefined();
  });
});
