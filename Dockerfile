# SeqTwins worker image: builds the `seqtwins` CLI and ships it with the migrations.
#   docker build -t seqtwins .
#   docker run --rm -e DATABASE_URL=postgresql://... seqtwins worker
FROM swift:6.0-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev libopenblas-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product seqtwins --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/seqtwins" /usr/local/bin/seqtwins

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 libopenblas0-pthread ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/seqtwins seqtwins
COPY --from=build /usr/local/bin/seqtwins /usr/local/bin/seqtwins
COPY Migrations /usr/share/seqtwins/migrations
USER seqtwins
# SIGTERM lets the running job finish within --grace-seconds, then releases it; give Docker a longer stop timeout.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/seqtwins"]
CMD ["worker"]
