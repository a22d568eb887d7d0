# The Bun mTLS server example (examples/bun-server) as a small non-root image.
# Build from the repository root:  docker build -f deploy/docker/server.Dockerfile -t spiffe-ts-server:0.1.0 .
# In your own project you would `npm install @spiffe-ts/sdk` and copy only your code; this
# image runs the example straight from this checkout's TypeScript sources (Bun needs no build).

# Production dependencies only (no Bun/Deno/TypeScript dev tools), without install scripts.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM oven/bun:1.4.5-slim
WORKDIR /app
ENV NODE_ENV=production \
    BUN_RUNTIME_TRANSPILER_CACHE_PATH=0 \
    SERVER_ADDRESS=0.0.0.0:8443 \
    HEALTH_ADDRESS=0.0.0.0:8080
COPY --from=deps /app/node_modules ./node_modules
# tsconfig.json: its `paths` resolve the example's `@spiffe-ts/sdk/bun` import to these sources
COPY package.json tsconfig.json mod.ts ./
COPY src/ ./src/
COPY gen/ ./gen/
COPY examples/shared/ ./examples/shared/
COPY examples/bun-server/ ./examples/bun-server/
# The image's unprivileged "bun" user, numeric so that Kubernetes runAsNonRoot can verify it.
USER 1000:1000
# 8443: SPIFFE mTLS (clients only). 8080: plain HTTP /healthz and /readyz (probes only).
EXPOSE 8443 8080
ENTRYPOINT ["bun", "examples/bun-server/server.ts"]
