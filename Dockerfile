# syntax=docker/dockerfile:1
# Chat server image. Two stages:
# - build: installs the locked dependencies with the native toolchain (better-sqlite3
#   compiles from source when no prebuilt binary matches), builds the web client and
#   the server bundle, and assembles the runtime files (scripts/assemble-runtime.mjs);
# - runtime: Node and those files only (no npm dependencies beyond better-sqlite3 and
#   sharp with its prebuilt libvips; no compiler, no sources), running as an unprivileged user with its data in /data.
# The server runs from the esbuild bundle, not from sources with tsx: no TypeScript
# compiler or devDependencies in the image, a smaller attack surface, and a faster
# start (no transpiling on every start).
#
#   docker build -t chat-server .
#   docker run -p 4000:4000 -p 4001:4001 -v chat-data:/data chat-server
#   docker run --rm -it -v chat-data:/data chat-server adduser alice
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-trixie-slim AS build
WORKDIR /src
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Electron's own download is disabled by allowScripts in package.json, so this
# installs the build tools without fetching a browser.
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:renderer \
 && npm run build:server \
 && node scripts/assemble-runtime.mjs /out

FROM node:${NODE_VERSION}-trixie-slim AS runtime
ENV NODE_ENV=production \
    CHAT_DATA_DIR=/data \
    CHAT_LOG_FORMAT=json \
    CHAT_CLI_NAME=chat-server
# A fixed uid/gid, so volumes and secrets can be given to it, and /data private to it (0700).
RUN groupadd --system --gid 10001 chat \
 && useradd --system --uid 10001 --gid chat --home-dir /data --no-create-home --shell /usr/sbin/nologin chat \
 && mkdir -p /data \
 && chown chat:chat /data \
 && chmod 0700 /data \
 && printf '#!/bin/sh\nexec node /app/dist/server/cli.cjs "$@"\n' > /usr/local/bin/chat-server \
 && chmod 0755 /usr/local/bin/chat-server
COPY --from=build /out /app
WORKDIR /app
USER 10001:10001
VOLUME ["/data"]
# 4000: TCP line protocol; 4001: HTTP (WebSocket at /ws, the web client, /healthz).
EXPOSE 4000 4001
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
# Node handles SIGTERM itself: clients are told, storage is flushed, exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/dist/server/cli.cjs"]
CMD []
