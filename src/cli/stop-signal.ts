/**
 * An AbortSignal that fires on the first of `signals`, so a command can stop
 * gracefully. A second signal means "now": the process exits at once with
 * 128 + the signal's number, as a shell reports it.
 */
export function stopSignalOn(
  signals: readonly NodeJS.Signals[],
  options: { onFirst?: (signal: NodeJS.Signals) => void; reason?: (signal: NodeJS.Signals) => string } = {},
): AbortSignal {
  const controller = new AbortController();
  const first = (signal: NodeJS.Signals): void => {
    for (const s of signals) process.off(s, first);
    options.onFirst?.(signal);
    controller.abort(new Error(options.reason?.(signal) ?? `stopped by ${signal}`));
    for (const s of signals) process.once(s, (again: NodeJS.Signals) => process.exit(128 + signalNumber(again)));
  };
  for (const signal of signals) process.once(signal, first);
  return controller.signal;
}

function signalNumber(signal: NodeJS.Signals): number {
  return signal === "SIGINT" ? 2 : signal === "SIGTERM" ? 15 : 1;
}
