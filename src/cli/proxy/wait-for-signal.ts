/** Resolves when `signal` aborts (SIGINT/SIGTERM in the CLI), at once if it already did. */
export function waitForSignal(signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
}
