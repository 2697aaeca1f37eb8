import { createHmac } from "node:crypto";

/** GitHub's `X-Hub-Signature-256` for a raw body. */
export function signWebhook(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}
