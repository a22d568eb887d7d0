// Fan-out of source updates to callbacks and async iterators (internal).

/** Listeners and iterators of one source. */
export class UpdateHub<U> {
  readonly #listeners = new Set<(update: U) => void>();
  readonly #closers = new Set<() => void>();
  #closed = false;

  /** Adds a listener; returns the unsubscribe function. */
  subscribe(listener: (update: U) => void): () => void {
    if (this.#closed) return () => {};
    const wrapped = (u: U): void => listener(u);
    this.#listeners.add(wrapped);
    return () => {
      this.#listeners.delete(wrapped);
    };
  }

  /** Delivers `update` to every listener (a throwing listener does not stop the others). */
  emit(update: U): void {
    for (const l of [...this.#listeners]) {
      try {
        l(update);
      } catch {
        // listeners' own problem
      }
    }
  }

  /**
   * Iterates over the updates emitted after this call, ending when the hub closes or
   * `signal` aborts. A slow consumer sees only the newest pending update.
   */
  async *iterate(signal?: AbortSignal): AsyncGenerator<U, void, undefined> {
    if (this.#closed || signal?.aborted) return;
    let pending: { update: U } | undefined;
    let wake: (() => void) | undefined;
    let done = false;
    const finish = (): void => {
      done = true;
      wake?.();
    };
    const unsubscribe = this.subscribe((update) => {
      pending = { update };
      wake?.();
    });
    this.#closers.add(finish);
    signal?.addEventListener("abort", finish, { once: true });
    try {
      while (true) {
        if (pending) {
          const { update } = pending;
          pending = undefined;
          yield update;
          continue;
        }
        if (done) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      unsubscribe();
      this.#closers.delete(finish);
      signal?.removeEventListener("abort", finish);
    }
  }

  /** Ends every iterator and drops every listener. */
  close(): void {
    this.#closed = true;
    this.#listeners.clear();
    for (const c of [...this.#closers]) c();
  }
}
