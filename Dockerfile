# SeqTwins worker/CLI image, built from source (needs a registry for the Swift image and GitHub for the packages):
#   docker build -t seqtwins:latest .
#   docker run --rm -e DATABASE_URL=postgresql://... seqtwins:latest worker
# Without registry access, build the same image from a host-built binary: deploy/Containerfile.prebuilt.
#
# Layout (both files): /usr/local/bin/seqtwins; the migrations in /usr/share/seqtwins/migrations
# ($SEQTWINS_MIGRATIONS); user seqtwins, uid and gid 10001, home /var/lib/seqtwins; entry point `seqtwins`, default
# command `worker`. Connection: DATABASE_URL, or libpq's PGHOST, PGUSER, PGPASSWORD, PGDATABASE.
ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
# Versions are Debian bookworm's, not pinned: the archive keeps only the current ones.
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libpq-dev libopenblas-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
# Tests/ too: the manifest names the test targets' folders.
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product seqtwins --static-swift-stdlib \
    && install -D "$(swift build -c release --show-bin-path)/seqtwins" /out/seqtwins

FROM ${BASE_IMAGE}
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libpq5 libopenblas0-pthread libcurl4 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 seqtwins \
    && useradd --no-log-init --uid 10001 --gid 10001 --home-dir /var/lib/seqtwins --create-home \
        --shell /usr/sbin/nologin seqtwins
COPY --from=build /out/seqtwins /usr/local/bin/seqtwins
COPY Migrations /usr/share/seqtwins/migrations

ENV SEQTWINS_MIGRATIONS=/usr/share/seqtwins/migrations
USER 10001:10001
WORKDIR /var/lib/seqtwins
# SIGTERM: the worker stops claiming, lets the running job finish within --grace-seconds, else releases it. Give the
# container a stop timeout longer than that grace period (compose: stop_grace_period).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/seqtwins"]
CMD ["worker"]
