/**
 * Runs `onIdle` once a connection has had nothing in flight for `idleMs`, with one timer that is
 * re-armed lazily when it fires early, rather than a new timer at the end of every request (on
 * Deno 2.9 a setTimeout + clearTimeout pair costs ~1.5-2 µs, a few per cent of a kept-alive
 * request).
 */
export class IdleTimer {
  readonly #idleMs: number;
  readonly #busy: () => boolean;
  readonly #onIdle: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #since = 0;
  #stopped = false;

  /**
   * @param idleMs How long the connection may stay idle.
   * @param busy Whether anything is in flight now (then the timer waits for the next {@link idle}).
   * @param onIdle Called once the connection was idle for `idleMs` since the last {@link idle}.
   */
  constructor(idleMs: number, busy: () => boolean, onIdle: () => void) {
    this.#idleMs = idleMs;
    this.#busy = busy;
    this.#onIdle = onIdle;
  }

  /** The connection is idle from now on (its last request ended). */
  idle(): void {
    if (this.#stopped) return;
    this.#since = Date.now();
    if (this.#timer === undefined) this.#arm(this.#idleMs);
  }

  /** Stops for good (the connection closed). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#fire(), ms);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #fire(): void {
    this.#timer = undefined;
    if (this.#busy()) return; // the request in flight calls idle() when it ends
    const left = this.#since + this.#idleMs - Date.now();
    if (left > 0) this.#arm(left); // used again since the timer was set
    else this.#onIdle();
  }
}
