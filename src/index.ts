import { createPlanwrightApp } from "./app.js";

/**
 * Entry point for `probot run ./dist/index.js`. SIGTERM/SIGINT let running
 * jobs finish (up to 30 s) before the process exits; unfinished jobs stay in
 * the durable queue and are taken up again after the restart.
 */
const { appFn, runtime } = createPlanwrightApp({ exitOnConfigurationError: true });

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    runtime
      .then((r) => r.shutdown(30_000))
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
}

export default appFn;
