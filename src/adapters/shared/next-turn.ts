import { setImmediate } from "node:timers";

// The callbacks to run at the event loop's next turn: one setImmediate for all of them (a
// setImmediate per response cost ~5% of a Bun client's CPU on kept-alive connections).
let due: (() => void)[] | undefined;

/**
 * Runs `fn` at the event loop's next turn (after the I/O of this one), together with every
 * other callback deferred in this turn. There is no cancelling: a callback that is no longer
 * needed checks that itself. `fn` must not throw.
 */
export function atNextTurn(fn: () => void): void {
  if (!due) {
    due = [];
    setImmediate(runDue);
  }
  due.push(fn);
}

function runDue(): void {
  const now = due ?? [];
  due = undefined;
  for (const fn of now) fn();
}
