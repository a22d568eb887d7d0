/**
 * `@spiffe-ts/sdk/bun`: SPIFFE mTLS server and client for Bun.
 *
 * @module
 */
export {};
