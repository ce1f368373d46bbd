# syntax=docker/dockerfile:1
# GuruRMM server image: the release server and the built dashboard on a slim Debian,
# run as an unprivileged account with its data on a volume.
#
#   docker build -t gururmm-server .        (or: cargo xtask package --container)
#   docker compose up -d                    (with PostgreSQL: see compose.yaml)

# --- The server -----------------------------------------------------------------
FROM rust:1-bookworm AS server
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p gururmm-server \
    && install -D -m 0755 target/release/gururmm-server /out/gururmm-server

# --- The dashboard and the API docs page ------------------------------------------
FROM node:20-bookworm-slim AS dashboard
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
# No install scripts: the only package with one (swagger-ui-dist's analytics) is not needed.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY web/ ./
RUN npm run build

# --- Runtime ----------------------------------------------------------------------
FROM debian:bookworm-slim
# curl answers the health check; ca-certificates lets the server reach HTTPS
# webhooks and mail relays; libssl3 checks WebAuthn signatures.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 gururmm \
    && useradd --system --uid 10001 --gid gururmm --home-dir /var/lib/gururmm \
        --no-create-home --shell /usr/sbin/nologin gururmm \
    && install -d -m 0700 -o gururmm -g gururmm /var/lib/gururmm
COPY --from=server /out/gururmm-server /usr/bin/gururmm-server
COPY --from=dashboard /src/web/dist /usr/share/gururmm/web

# The same paths as the Debian package; listen on every address of the container
# (publish the port on the host's loopback and put a TLS proxy in front).
ENV GURURMM_DATA_DIR=/var/lib/gururmm \
    GURURMM_WEB_DIR=/usr/share/gururmm/web \
    GURURMM_LISTEN=0.0.0.0:8080
USER gururmm
VOLUME ["/var/lib/gururmm"]
EXPOSE 8080
# Readiness: 200 while the database answers, 503 otherwise or while stopping.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["curl", "--fail", "--silent", "--max-time", "4", "--output", "/dev/null", "http://127.0.0.1:8080/api/v1/ready"]
ENTRYPOINT ["/usr/bin/gururmm-server"]
CMD ["serve"]
