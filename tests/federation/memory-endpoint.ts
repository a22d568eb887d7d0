// An in-memory bundle endpoint for watch tests: `fetch` (the https_web test-only injection of
// fetchBundle) hands each request to `respond`, which tests change between polls; and timers
// the test fires itself instead of waiting.
import type { WatchTimers, WebFetch } from "../../mod.ts";
import { waitUntil } from "../support/wait-until.ts";

export interface MemoryEndpoint {
  readonly url: string;
  /** How the endpoint answers now; throw to simulate a connection failure. */
  respond: (request: Request) => Response | Promise<Response>;
  readonly fetch: WebFetch;
  /** Requests served so far. */
  readonly requests: number;
}

export function memoryEndpoint(url = "https://bundles.partner.example/bundle.json"): MemoryEndpoint {
  let requests = 0;
  const endpoint: MemoryEndpoint = {
    url,
    respond: () => new Response("not ready", { status: 503 }),
    fetch: async (input, init) => {
      requests++;
      return endpoint.respond(new Request(input, init));
    },
    get requests() {
      return requests;
    },
  };
  return endpoint;
}

/** Timers that only run when the test fires them; `delays` records every scheduled delay. */
export class ManualTimers implements WatchTimers {
  readonly delays: number[] = [];
  #next = 1;
  readonly #pending = new Map<number, () => void>();

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.delays.push(ms);
    this.#pending.set(id, callback);
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number);
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** Waits until a poll is scheduled (the previous one finished), and returns its delay. */
  async scheduled(count: number): Promise<number> {
    await waitUntil(() => this.delays.length >= count, `poll ${count} to be scheduled`, 5000, 2);
    return this.delays[count - 1]!;
  }

  /** Runs the pending poll now. */
  fire(): void {
    const [id, callback] = [...this.#pending][0] ?? [];
    if (id === undefined || callback === undefined) throw new Error("no poll scheduled");
    this.#pending.delete(id);
    callback();
  }
}
