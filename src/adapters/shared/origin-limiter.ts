/**
 * At most `max` requests in flight per origin; the others wait in order. The HTTP/1.1
 * client uses it instead of `https.Agent`'s `maxSockets`: an agent whose `createConnection`
 * delivers the socket later (after verification) counts the socket only once it arrives,
 * so under a burst it opens more sockets than `maxSockets`, then destroys each extra one
 * when its response ends (Node, Bun and Deno alike), and every queued request pays a new
 * handshake. With the limit here, the agent never queues and keeps every socket it opens.
 */
export interface OriginLimiter {
  /**
   * Resolves with a release function once a slot of `origin` is free; rejects with the signal's
   * reason if it aborts first. `abortable.signal` is read only when the request has to wait.
   */
  acquire(origin: string, abortable: { readonly signal: AbortSignal }): Promise<() => void>;
}

interface Slots {
  active: number;
  readonly waiting: (() => void)[];
}

export function createOriginLimiter(max: number): OriginLimiter {
  const origins = new Map<string, Slots>();

  const releaser = (origin: string, slots: Slots): (() => void) => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = slots.waiting.shift();
      if (next) return next(); // the slot passes straight to the next request
      slots.active--;
      if (slots.active === 0) origins.delete(origin);
    };
  };

  return {
    acquire(origin, abortable) {
      let slots = origins.get(origin);
      if (!slots) origins.set(origin, (slots = { active: 0, waiting: [] }));
      const s = slots;
      if (s.active < max) {
        s.active++;
        return Promise.resolve(releaser(origin, s));
      }
      const signal = abortable.signal;
      return new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const grant = (): void => {
          signal.removeEventListener("abort", onAbort);
          resolve(releaser(origin, s));
        };
        const onAbort = (): void => {
          const i = s.waiting.indexOf(grant);
          if (i !== -1) s.waiting.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        s.waiting.push(grant);
      });
    },
  };
}
