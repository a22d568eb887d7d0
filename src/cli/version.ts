/** The version of `@spiffe-ts/sdk` this CLI belongs to (`spiffe-ts --version`); tests keep it equal to package.json's and deno.json's. */
export const VERSION = "0.1.0";
