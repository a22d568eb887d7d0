/**
 * `@spiffe-ts/sdk/node`: SPIFFE mTLS server and client for Node.js.
 *
 * @module
 */
export {};
