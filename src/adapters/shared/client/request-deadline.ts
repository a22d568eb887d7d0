/** The one signal a request runs under, and how to release it (see {@link requestDeadline}). */
export interface RequestDeadline {
  /** Aborts with the first caller signal's reason, or a `TimeoutError` `DOMException` when the time is up. */
  readonly signal: AbortSignal;
  /** Clears the timer and the listeners on the caller's signals; call it once the exchange is over. Idempotent. */
  readonly done: () => void;
}

/**
 * One signal for a request: the caller's signals and a timeout timer (cheaper than
 * `AbortSignal.timeout` + `AbortSignal.any` on every request). `done` clears the timer and
 * listeners once the exchange is over (the response body ended or the request failed).
 *
 * @param timeoutMs `0` for no timeout.
 * @param given The caller's signals (`init.signal`, the `Request`'s signal); absent ones are skipped.
 */
export function requestDeadline(timeoutMs: number, ...given: (AbortSignal | null | undefined)[]): RequestDeadline {
  const controller = new AbortController();
  const abort = (reason: unknown): void => controller.abort(reason);
  const listeners: [AbortSignal, () => void][] = [];
  for (const s of given) {
    if (!s) continue;
    if (s.aborted) {
      abort(s.reason);
      break;
    }
    const onAbort = (): void => abort(s.reason);
    s.addEventListener("abort", onAbort, { once: true });
    listeners.push([s, onAbort]);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (timeoutMs > 0 && !controller.signal.aborted) {
    timer = setTimeout(() => abort(new DOMException("The operation was aborted due to timeout", "TimeoutError")), timeoutMs);
    timer.unref?.();
  }
  let finished = false;
  return {
    signal: controller.signal,
    done: () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      for (const [s, l] of listeners) s.removeEventListener("abort", l);
    },
  };
}
