import { constants as cryptoConstants } from "node:crypto";
import type { Authorizer } from "../../core/authz/authorizer.ts";
import type { X509BundleSourceLike } from "../../core/bundle/x509-bundle-source.ts";
import { ConfigError } from "../../core/errors/config-error.ts";
import { InvalidArgumentError } from "../../core/errors/invalid-argument-error.ts";
import { describeType } from "../../core/lib/describe-type.ts";
import type { X509SvidSource } from "../../core/svid/x509/x509-svid-source.ts";
import { checkAuthorizer, checkBundleSource, checkSvidSource } from "../../tls/check-options.ts";
import { refuseArgument } from "../../core/lib/refuse.ts";
import { credentialsOf } from "../../tls/svid-credentials.ts";

/**
 * Options of {@link createServerTlsOptions}.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface ServerTlsOptionsInit {
  /** ALPN protocols to offer, e.g. `["h2", "http/1.1"]` for `http2.createSecureServer({ allowHTTP1: true })`. Default: none (the server's own default). */
  readonly ALPNProtocols?: readonly string[];
}

/**
 * `node:tls` server options that present a source's current X.509-SVID and request a
 * client certificate, leaving every trust decision to `attachSpiffe` (never to OpenSSL,
 * never to system roots). Also carries `source` and `authorizer`, so the same object can
 * be handed to `attachSpiffe`; `node:tls`, `node:https` and `node:http2` ignore them.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 */
export interface SpiffeServerTlsOptions {
  /** PEM private key of the SVID at creation time (`attachSpiffe` rotates it later). */
  readonly key: string;
  /** PEM certificate chain of the SVID, leaf first. */
  readonly cert: string;
  /** Always `true`: a client certificate is requested. */
  readonly requestCert: true;
  /** Always `false`: OpenSSL does not judge the client; `attachSpiffe` verifies it as an X.509-SVID. */
  readonly rejectUnauthorized: false;
  /** Always `"TLSv1.2"`. */
  readonly minVersion: "TLSv1.2";
  /** `SSL_OP_NO_TICKET`: no session tickets, so every connection proves its SVID again. */
  readonly secureOptions: number;
  /** ALPN protocols, when given. */
  readonly ALPNProtocols?: string[];
  /** The source the SVID came from and that `attachSpiffe` verifies clients with. */
  readonly source: X509SvidSource & X509BundleSourceLike;
  /** Which verified clients `attachSpiffe` lets through. */
  readonly authorizer: Authorizer;
}

/**
 * Builds options for `tls.createServer`, `https.createServer` or
 * `http2.createSecureServer` that make a SPIFFE server once `attachSpiffe` is attached:
 * key and certificate chain of the source's current SVID, `requestCert: true`,
 * `rejectUnauthorized: false` (the SDK's core verifies each client, not OpenSSL) and no
 * session tickets. On its own this server accepts any client: always call
 * `attachSpiffe(server, options)` before `listen`.
 *
 * Exported from `@spiffe-ts/sdk/node` (and `/bun`, `/deno`).
 *
 * @example Express on `node:https`
 * ```ts
 * import { createServer } from "node:https";
 * import express from "express";
 * import { attachSpiffe, authorizeMemberOf, createServerTlsOptions, getPeerId, X509Source } from "@spiffe-ts/sdk/node";
 * const source = await X509Source.create();
 * const app = express().get("/", (req, res) => res.send(`hello ${getPeerId(req)}`));
 * const options = createServerTlsOptions(source, authorizeMemberOf("example.org"));
 * const server = createServer(options, app);
 * attachSpiffe(server, options);
 * server.listen(8443);
 * ```
 * @throws {InvalidArgumentError} `ERR_INVALID_ARGUMENT` for an invalid `source`, `authorizer` or `options` (`argument` names it), a
 *   {@link ConfigError} (same code) for an invalid option; the source's error when it has no SVID.
 */
export function createServerTlsOptions(
  source: X509SvidSource & X509BundleSourceLike,
  authorizer: Authorizer,
  options: ServerTlsOptionsInit = {},
): SpiffeServerTlsOptions {
  checkSvidSource(source, refuseArgument);
  checkBundleSource(source, refuseArgument);
  checkAuthorizer(authorizer, "use authorizeAny(), authorizeId(id), authorizeMemberOf(td), …", refuseArgument);
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("options", `createServerTlsOptions: options must be an object, got ${describeType(options)}`);
  const alpn = options.ALPNProtocols;
  if (alpn !== undefined && (!Array.isArray(alpn) || alpn.length === 0 || !alpn.every((p) => typeof p === "string" && p !== ""))) {
    throw new ConfigError("ALPNProtocols", `must be a non-empty array of protocol names, got ${JSON.stringify(alpn)}`);
  }
  const { key, cert } = credentialsOf(source);
  return {
    key,
    cert,
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: "TLSv1.2",
    secureOptions: cryptoConstants.SSL_OP_NO_TICKET,
    ...(alpn ? { ALPNProtocols: [...alpn] } : {}),
    source,
    authorizer,
  };
}
