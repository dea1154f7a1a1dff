# didit-sidecar container image. Build stage on the full Node image, runtime on the slim one with
# production dependencies only, as a numeric non-root user, node run directly (npm swallows
# signals). The base images are build arguments, so the image can be built from a local base
# where no registry is reachable (see scripts/node-base-image.sh).
ARG NODE_IMAGE=node:24-bookworm
ARG RUNTIME_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency needs an install script; --ignore-scripts keeps it that way.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/build-config-validator.mjs scripts/bundle.mjs ./scripts/
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${RUNTIME_IMAGE}
ENV NODE_ENV=production \
    DIDIT_SIDECAR_CONFIG=/etc/didit-sidecar/config.yaml \
    DIDIT_SIDECAR_HOST=127.0.0.1 \
    DIDIT_SIDECAR_ADMIN_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
# The bundle and its lazily loaded chunks (scripts/bundle.mjs); node_modules keeps what they
# require from it (undici's Agent, ioredis, Fastify's schema compilers).
COPY --from=build /app/dist/didit-sidecar.js ./dist/
COPY --from=build /app/dist/chunks/*.js ./dist/chunks/
COPY config.yaml /etc/didit-sidecar/config.yaml
# Writes nothing to disk: runs with a read-only root filesystem.
USER 65532:65532
EXPOSE 8080 9090
ENTRYPOINT ["node", "dist/didit-sidecar.js"]
