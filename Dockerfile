# syntax=docker/dockerfile:1
# Build stage: compile TypeScript and build native modules (sqlite3) with the toolchain.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci only: the lock file records every optional per-platform package (regenerated from scratch).
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: git and the ssh client for the pipeline, DejaVu fonts for the flow snapshot.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates tar gzip fontconfig fonts-dejavu-core tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 deploybot \
 && mkdir -p /data && chown deploybot:deploybot /data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY config ./config
ENV NODE_ENV=production DEPLOYBOT_DATA_DIR=/data PORT=3000
VOLUME ["/data"]
EXPOSE 3000
USER deploybot
# /healthz answers 200 while the database does (HTTP and Socket Mode alike, on PORT).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "bin/deploybot.mjs"]
