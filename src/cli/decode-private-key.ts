import { getPrivateKey } from "@probot/get-private-key";

/**
 * PRIVATE_KEY as `probot run` reads it (base64, `\n` escapes, one-line PEM),
 * through Probot's own reader so planwright accepts exactly what Probot does.
 * A value it cannot recognise is returned as given, for the caller to report.
 */
export function decodePrivateKey(value: string): string {
  try {
    return getPrivateKey({ env: { PRIVATE_KEY: value } }) ?? value;
  } catch {
    return value;
  }
}
