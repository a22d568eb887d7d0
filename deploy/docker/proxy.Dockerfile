# The spiffe-ts CLI (src/cli) as a small non-root image, for the `proxy server` and `proxy client`
# sidecars of apps that cannot do SPIFFE mTLS themselves (deploy/k8s/sidecar*.yaml).
# Build from the repository root:  docker build -f deploy/docker/proxy.Dockerfile -t spiffe-ts-proxy:0.1.0 .
# The container's args select the command, e.g.
#   docker run spiffe-ts-proxy:0.1.0 proxy server --listen :8443 --target http://127.0.0.1:5678 --allow spiffe://example.org/caller
# It runs the CLI straight from this checkout's TypeScript sources (Bun needs no build); every
# other command (x509 watch, jwt fetch, ...) works the same way.

# Production dependencies only (no Bun/Deno/TypeScript dev tools), without install scripts.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM oven/bun:1.4.5-slim
WORKDIR /app
ENV NODE_ENV=production \
    BUN_RUNTIME_TRANSPILER_CACHE_PATH=0
COPY --from=deps /app/node_modules ./node_modules
COPY package.json mod.ts ./
COPY src/ ./src/
COPY gen/ ./gen/
# The image's unprivileged "bun" user, numeric so that Kubernetes runAsNonRoot can verify it.
USER 1000:1000
# As used in deploy/k8s: 8443 SPIFFE mTLS (proxy server --listen), 8081 plain HTTP /healthz and
# /readyz (--health, probes only). The proxy client listens on loopback only.
EXPOSE 8443 8081
ENTRYPOINT ["bun", "src/cli/main.ts"]
