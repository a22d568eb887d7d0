// Stream fan-out of the development Workload API server: the open server streams, what each
// must send next (a fresh state, or a raw response a test pushed), and how they end.
import type { Code } from "@connectrpc/connect";
import type { JWTBundlesResponse, X509BundlesResponse, X509SVIDResponse } from "../../../../gen/workload_pb.ts";

/** The three streaming RPCs. */
export type StreamMethod = "FetchX509SVID" | "FetchX509Bundles" | "FetchJWTBundles";
export const STREAM_METHODS: readonly StreamMethod[] = ["FetchX509SVID", "FetchX509Bundles", "FetchJWTBundles"];
export type StreamResponse = X509SVIDResponse | X509BundlesResponse | JWTBundlesResponse;
type StreamEvent = { readonly kind: "state" } | { readonly kind: "raw"; readonly response: StreamResponse };

/** One open server stream: ordered events to send, and how to end it. */
export class StreamHandle {
  readonly method: StreamMethod;
  readonly #events: StreamEvent[] = [];
  closed: { readonly code: Code | undefined; readonly message: string } | undefined;
  #wake: (() => void) | undefined;

  constructor(method: StreamMethod) {
    this.method = method;
  }

  push(event: StreamEvent): void {
    if (this.closed) return;
    if (event.kind === "state" && this.#events.at(-1)?.kind === "state") return; // coalesce
    this.#events.push(event);
    this.#wake?.();
  }

  /** The next event to send, if any. */
  next(): StreamEvent | undefined {
    return this.#events.shift();
  }

  close(code: Code | undefined, message: string): void {
    this.closed ??= { code, message };
    this.#wake?.();
  }

  /** Resolves when an event is queued, the stream is closed, or `signal` aborts. */
  async wait(signal: AbortSignal): Promise<void> {
    if (this.#events.length > 0 || this.closed || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        signal.removeEventListener("abort", done);
        this.#wake = undefined;
        resolve();
      };
      this.#wake = done;
      signal.addEventListener("abort", done);
    });
  }
}

/** Every open stream, and the raw response (if any) that replaces each method's state. */
export class StreamFanOut {
  readonly #streams = new Set<StreamHandle>();
  readonly #raw = new Map<StreamMethod, StreamResponse>();

  get size(): number {
    return this.#streams.size;
  }

  open(method: StreamMethod): StreamHandle {
    const handle = new StreamHandle(method);
    this.#streams.add(handle);
    return handle;
  }

  release(handle: StreamHandle): void {
    this.#streams.delete(handle);
  }

  /** The raw response a test pushed for `method`, until the state changes. */
  raw(method: StreamMethod): StreamResponse | undefined {
    return this.#raw.get(method);
  }

  /** Sends `response` as is on every open stream of `method` (and to streams opened later). */
  pushRaw(method: StreamMethod, response: StreamResponse): void {
    this.#raw.set(method, response);
    for (const s of this.#streams) if (s.method === method) s.push({ kind: "raw", response });
  }

  /** The state behind `methods` changed: drop their raw responses, send a fresh state. */
  changed(methods: readonly StreamMethod[]): void {
    for (const m of methods) this.#raw.delete(m);
    for (const s of this.#streams) if (methods.includes(s.method)) s.push({ kind: "state" });
  }

  /** Ends every open stream (with `code`, or cleanly when undefined). */
  closeAll(code: Code | undefined, message: string): void {
    for (const s of this.#streams) s.close(code, message);
    this.#streams.clear();
  }
}
