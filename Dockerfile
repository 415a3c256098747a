# One image for every role (docs/deploy.md): the Next.js standalone server. SERVICES picks what a container
# runs: `web` behind nginx, `consumers,dispatcher` for workers, `scheduler` for the daily payout. Each container
# serves /api/health on PORT, so workers are health-checked the same way as web instances.

# --- build: dependencies (install scripts as package.json allows) and `next build` with standalone output
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY . .
RUN CF_STANDALONE_BUILD=1 NEXT_TELEMETRY_DISABLED=1 npx next build

# --- run: only the traced server, its static files and the migrations; no compiler, no dev dependencies
FROM node:20-bookworm-slim AS run
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 HOSTNAME=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=build --chown=node:node /app/.next/standalone ./
COPY --from=build --chown=node:node /app/.next/static ./.next/static
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The young generation's semi-space at 32 MB instead of V8's 16: rendering a page allocates a lot of short-lived
# objects, and fewer scavenges let an instance render about a quarter more cold campaign pages (docs/operations.md).
CMD ["node", "--max-semi-space-size=32", "server.js"]
