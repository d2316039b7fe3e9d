# opsbot container image: build on the current Node LTS, run as a non-root user.
# docker build -t opsbot . && docker run -p 3000:3000 -v opsbot-data:/data --env-file config.env opsbot

FROM node:24-bookworm AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary fits; the bookworm image has python3, make and g++.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
COPY cards ./cards
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production OPSBOT_DATA_DIR=/data LOG_FORMAT=json
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json opsbot.example.yaml ./
COPY runbooks ./runbooks
# A CJK font for chart images (Chinese labels); the chart renderer's own binary comes with npm.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-zenhei && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["node", "--enable-source-maps", "dist/src/main.js"]
