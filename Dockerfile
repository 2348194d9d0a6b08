# syntax=docker/dockerfile:1
#
# Cradle container image (multi-stage).
#   docker build -t cradle .
#   sh deploy/generate-secrets.sh
#   docker run --rm -p 4000:4000 -e DATABASE_URL=... -e REDIS_URL=... \
#     -v "$PWD/deploy/secrets:/run/secrets:ro" \
#     -e CRADLE_TOKEN_SECRET_FILE=/run/secrets/cradle_token_secret \
#     -e CRADLE_KEK_FILE=/run/secrets/cradle_kek \
#     -e CRADLE_AUDIT_CHECKPOINT_KEY_FILE=/run/secrets/cradle_audit_checkpoint_key cradle
# The image runs in production mode (NODE_ENV=production) on every backend, the embedded database
# (/app/.cradle, without DATABASE_URL) included: it refuses to start (exit 78) without those three
# secrets, never seeds the demo tenant, and keeps audit checkpoints under /var/lib/cradle/audit
# when CRADLE_AUDIT_CHECKPOINT_FILE points there (mount a volume). The command line is
# `docker run --rm … cradle node dist/src/cli.js <command>`.
# See docker-compose.yml for a complete two-replica deployment.

ARG NODE_IMAGE=node:22-bookworm-slim

# --- build: full install (incl. dev deps) and TypeScript compile -> dist/ ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# --- prod-deps: production-only node_modules ---
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=4000
WORKDIR /app
# Application files stay root-owned (read-only for the service user).
# package.json is required at runtime: it carries "type": "module" for dist/.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# Writable data and audit-checkpoint directories for the unprivileged user (a named volume mounted
# on one starts with this owner).
RUN mkdir -p /app/.cradle /var/lib/cradle/audit && chown node:node /app/.cradle /var/lib/cradle/audit
USER node
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:4000/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--enable-source-maps", "dist/src/main.js"]
