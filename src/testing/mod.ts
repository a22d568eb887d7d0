/**
 * `@spiffe-ts/sdk/testing`: test helpers (a test CA, a development Workload API server,
 * fake sources). For development and tests, never production.
 *
 * @module
 */
export {};
