import http from "node:http";
import type { AddressInfo } from "node:net";
import type { HealthHandler } from "./health-routes.js";

export interface HealthServer {
  /** `http://host:port`, with the port actually bound (useful with port 0). */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the health handler on its own port, for processes without Probot's
 * server: a `planwright worker` records the run metrics, so it is the one
 * Prometheus has to scrape. Anything else gets a 404 in the same error shape.
 */
export async function startHealthServer(handler: HealthHandler, options: { port: number; host?: string }): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    handler(req, res).then(
      (handled) => {
        if (!handled) reply(res, 404, "not_found", "This port serves GET /healthz, /readyz and /metrics only.");
      },
      () => reply(res, 500, "internal_error", "The health handler failed; the process log may have more."),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { address, port, family } = server.address() as AddressInfo;
  return {
    url: `http://${family === "IPv6" ? `[${address}]` : address}:${port}`,
    close: () =>
      new Promise((resolve, reject) => {
        // Keep-alive connections from a scraper would hold close() open until they time out.
        server.closeIdleConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function reply(res: http.ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
  res.end(JSON.stringify({ error: { code, message } }));
}
