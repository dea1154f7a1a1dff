# didit-sidecar container image. Build stage on the full Node image, runtime on the slim one with
# production dependencies only, as a numeric non-root user, node run directly (npm swallows
# signals). The base images are build arguments, so the image can be built from a local base
# where no registry is reachable (see scripts/node-base-image.sh).
ARG NODE_IMAGE=node:24-bookworm
ARG RUNTIME_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# jemalloc for the runtime stage: from the base if it has it (the local base does), else from
# Debian. Copied with node, as the local base has no coreutils.
RUN set -- /usr/lib/*-linux-gnu/libjemalloc.so.2 \
 && if [ ! -e "$1" ]; then apt-get update && apt-get install -y --no-install-recommends libjemalloc2 \
      && set -- /usr/lib/*-linux-gnu/libjemalloc.so.2; fi \
 && node -e "require('node:fs').copyFileSync(process.argv[1], 'libjemalloc.so.2')" "$1"
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
# malloc is jemalloc, which gives freed pages back to the system within about a second (one
# background purging thread): with glibc's, the heap left by a burst of large uploads stays
# resident (docs/benchmarks.md, "Fifth pass"). The bench runs the sidecar with these two lines.
COPY --from=build /app/libjemalloc.so.2 /usr/local/lib/libjemalloc.so.2
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2 \
    MALLOC_CONF=background_thread:true,max_background_threads:1,dirty_decay_ms:1000
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
