# sched-bench in a container: `docker build -t sched-bench .`, then e.g.
#   docker run --rm -e TEMPORAL_ADDRESS=temporal.example:7233 sched-bench agent
# (README "Many machines" has a Kubernetes Deployment of agents).

# Build: compile TypeScript with the dev dependencies, then keep only what runs.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY workflows ./workflows
# `npm ci` runs the package's prepare script, which compiles src/ and workflows/ into dist/.
RUN npm ci && npm prune --omit=dev

# Run: the compiled CLI and its production dependencies, as the image's unprivileged user.
FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/node_modules ./node_modules
RUN ln -s /app/bin/sched-bench /usr/local/bin/sched-bench
# The workflow bundle is cached in the user's cache directory (~/.cache/sched-bench).
USER node
ENTRYPOINT ["sched-bench"]
CMD ["--help"]
