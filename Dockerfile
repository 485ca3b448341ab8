# Latch: docker build -t latch . && docker run -e LATCH_DATABASE_URL=... -e LATCH_SECRET=... -p 3000:3000 latch
# Not built in CI here (no Docker on the CI machine): docs/production.md#docker says what was checked instead.

# Builder: dist/ (server) and dist/console/ (the operators' app). The full Debian image has python, make and g++,
# should a native module find no prebuilt binary for this platform.
FROM node:20-bookworm AS builder
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; the native modules' own scripts run next.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3 esbuild
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only, without `prepare` (it would build). better-sqlite3's install script fetches its
# prebuilt binary (prebuild-install) for Node 20 and glibc, or compiles it with this image's tools when there is
# none; @node-rs/argon2 arrives as a prebuilt platform package and runs no script. Same Debian (bookworm) as below.
FROM node:20-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm rebuild better-sqlite3 && npm cache clean --force

# Runtime: no build tools, no dev dependencies, not root.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    LATCH_HOST=0.0.0.0 \
    PORT=3000 \
    LATCH_DATA_DIR=/var/lib/latch
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=builder /app/dist ./dist
COPY bin ./bin
# Read at start from its place in the sources: the password policy's list of common passwords.
COPY src/core/accounts/common-passwords.txt src/core/accounts/common-passwords.LICENSE ./src/core/accounts/
RUN groupadd --system latch && useradd --system --gid latch --home-dir /var/lib/latch latch \
    && mkdir -p /var/lib/latch && chown latch:latch /var/lib/latch
USER latch
VOLUME ["/var/lib/latch"]
EXPOSE 3000
# No curl in the slim image: Node asks /healthz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "bin/latch.js", "start"]
