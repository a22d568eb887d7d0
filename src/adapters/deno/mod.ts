/**
 * `@spiffe-ts/sdk/deno`: SPIFFE mTLS server and client for Deno.
 *
 * @module
 */
export {};
