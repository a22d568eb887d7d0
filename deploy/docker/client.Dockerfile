# The mTLS client example (examples/client) as a small non-root image, on Bun.
# Build from the repository root:  docker build -f deploy/docker/client.Dockerfile -t spiffe-ts-client:0.1.0 .

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
# tsconfig.json: its `paths` resolve the example's `@spiffe-ts/sdk/bun` import to these sources
COPY package.json tsconfig.json mod.ts ./
COPY src/ ./src/
COPY gen/ ./gen/
COPY examples/shared/ ./examples/shared/
COPY examples/client/ ./examples/client/
# The image's unprivileged "bun" user, numeric so that Kubernetes runAsNonRoot can verify it.
USER 1000:1000
ENTRYPOINT ["bun", "examples/client/client.ts"]
