import { generateKeyPairSync } from "node:crypto";
import { Probot, ProbotOctokit } from "probot";
import { pino } from "pino";

/** A throwaway RSA key: Probot signs its app JWT with it; nock never checks it. */
export const TEST_PRIVATE_KEY = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
}).privateKey;

/** A Probot instance for nock-backed tests: no retries or throttling to slow failures down. */
export function testProbot(): Probot {
  return new Probot({
    appId: 123,
    privateKey: TEST_PRIVATE_KEY,
    secret: "test-secret",
    log: pino({ level: "silent" }),
    // The function form reaches installation clients too; Probot's own throttling
    // would otherwise space comment posts 3 s apart across tests.
    Octokit: ProbotOctokit.defaults((options: object) => ({
      ...options,
      retry: { enabled: false },
      throttle: { enabled: false },
    })),
  });
}
