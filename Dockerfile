# planwright: one image for the webhook server and for workers.
#   docker run -p 3000:3000 --env-file .env -v planwright-data:/data planwright
# No secrets are baked in; pass APP_ID, PRIVATE_KEY, WEBHOOK_SECRET and
# ANTHROPIC_API_KEY at run time.

ARG NODE_VERSION=20.20
# Any Debian bookworm image with Node.js in /usr/local and a `node` user (uid
# 1000) will do; test/docker/offline-base-images.sh builds one without Docker Hub.
ARG NODE_IMAGE=node:${NODE_VERSION}-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 compiles a native addon when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
# git does the checkouts; bubblewrap sandboxes the agent's commands; ripgrep
# backs the Grep tool; tini reaps the processes the agent starts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git bubblewrap ripgrep ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    PLANWRIGHT_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json app.yml ./
# Bundled agent definitions are read at run time from src/agents/definitions.
COPY src/agents/definitions ./src/agents/definitions
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# 3000: the webhook server; 3001: a `planwright worker`'s /healthz, /readyz and /metrics.
EXPOSE 3000 3001
# One image, two roles: the webhook server answers on PORT (3000), a
# `planwright worker` on PLANWRIGHT_WORKER_PORT (3001); either one alive is healthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s CMD node -e "Promise.any([process.env.PORT||3000,process.env.PLANWRIGHT_WORKER_PORT||3001].map(p=>fetch('http://127.0.0.1:'+p+'/healthz').then(r=>{if(!r.ok)throw new Error(String(r.status))}))).then(()=>process.exit(0),()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node_modules/.bin/probot", "run", "./dist/index.js"]
