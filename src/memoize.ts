/** Caches a successful result; a failure is retried on the next call. */
export function memoize<T>(fn: () => Promise<T>): () => Promise<T> {
  let cached: Promise<T> | undefined;
  return () => {
    cached ??= fn().catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };
}
