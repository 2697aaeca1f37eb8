/** A set of callbacks where one that throws never keeps the others from hearing. */
export class Listeners<T> {
  private readonly listeners = new Set<(value: T) => void>();

  /** Returns a function that removes this listener. */
  add(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  clear(): void {
    this.listeners.clear();
  }

  notify(value: T): void {
    for (const listener of this.listeners) {
      try {
        listener(value);
      } catch {
        // A listener's failure is its own to report.
      }
    }
  }
}
