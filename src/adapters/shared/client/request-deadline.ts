/**
 * What a request runs under: the caller's signals and its timeout, as one abort (see
 * {@link requestDeadline}). The exchange listens with {@link RequestDeadline.onAbort}; an
 * `AbortSignal` is made only for the code that needs one (a streamed body, a wait for a
 * connection or a slot): an AbortController and its listeners cost a few per cent of a
 * kept-alive request on Bun.
 */
export interface RequestDeadline {
  /** Aborts with the first caller signal's reason, or a `TimeoutError` `DOMException` when the time is up. Made on first use. */
  readonly signal: AbortSignal;
  /** Whether the request was aborted (a caller's signal, or its time is up). */
  readonly aborted: boolean;
  /** Why it was aborted (undefined while it was not). */
  readonly reason: unknown;
  /** Calls `listener` once when the request aborts (now, if it has); answers the function that stops it. */
  onAbort(listener: (reason: unknown) => void): () => void;
  /** Clears the timer and the listeners on the caller's signals; call it once the exchange is over. Idempotent. */
  readonly done: () => void;
}

const nothing = (): void => {};

/** See {@link RequestDeadline}: one per request, no closures but `done`. */
class Deadline implements RequestDeadline {
  aborted = false;
  reason: unknown = undefined;
  readonly done: () => void;
  #controller: AbortController | undefined;
  #listeners: ((reason: unknown) => void)[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #callers: [AbortSignal, () => void][] | undefined;
  #finished = false;

  constructor(timeoutMs: number, given: (AbortSignal | null | undefined)[]) {
    this.done = () => this.#finish();
    for (const s of given) {
      if (!s) continue;
      if (s.aborted) {
        this.abort(s.reason);
        return;
      }
      const onAbort = (): void => this.abort(s.reason);
      s.addEventListener("abort", onAbort, { once: true });
      (this.#callers ??= []).push([s, onAbort]);
    }
    if (timeoutMs > 0) {
      this.#timer = setTimeout(timeUp, timeoutMs, this);
      (this.#timer as { unref?: () => void }).unref?.();
    }
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  onAbort(listener: (reason: unknown) => void): () => void {
    if (this.aborted) {
      listener(this.reason);
      return nothing;
    }
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i !== -1) this.#listeners.splice(i, 1);
    };
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.#finish();
    const listeners = this.#listeners;
    this.#listeners = [];
    for (const listener of listeners) listener(reason);
    this.#controller?.abort(reason);
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#timer);
    for (const [s, l] of this.#callers ?? []) s.removeEventListener("abort", l);
  }
}

function timeUp(deadline: Deadline): void {
  deadline.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
}

/**
 * One deadline for a request: the caller's signals and a timeout timer (cheaper than
 * `AbortSignal.timeout` + `AbortSignal.any` on every request). `done` clears the timer and
 * listeners once the exchange is over (the response body ended or the request failed).
 *
 * @param timeoutMs `0` for no timeout.
 * @param given The caller's signals (`init.signal`, the `Request`'s signal); absent ones are skipped.
 */
export function requestDeadline(timeoutMs: number, ...given: (AbortSignal | null | undefined)[]): RequestDeadline {
  return new Deadline(timeoutMs, given);
}
