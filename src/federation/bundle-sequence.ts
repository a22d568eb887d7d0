// spiffe_sequence for a served bundle whose source has none (an X509Bundle + JwtBundle from the
// Workload API, say): the handler numbers the contents itself, from the clock, so the number
// grows with every change and keeps growing across restarts (as long as the clock does).
import type { SpiffeBundle } from "../core/bundle/spiffe-bundle.ts";

/** Numbers successive bundle contents: unchanged contents keep their number. */
export class ClockSequence {
  readonly #now: () => Date;
  #last: SpiffeBundle | undefined;
  #sequence = 0;

  constructor(now: () => Date) {
    this.#now = now;
  }

  /** The sequence number of `bundle`'s keys: the previous one if they did not change, else max(previous + 1, Unix seconds now). */
  of(bundle: SpiffeBundle): number {
    const last = this.#last;
    if (last === undefined || !last.x509Bundle.equals(bundle.x509Bundle) || !last.jwtBundle.equals(bundle.jwtBundle)) {
      this.#sequence = Math.max(this.#sequence + 1, Math.floor(this.#now().getTime() / 1000));
      this.#last = bundle;
    }
    return this.#sequence;
  }
}
