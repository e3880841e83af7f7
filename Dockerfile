# syntax=docker/dockerfile:1
# Two images from one build: `platform` (every service, migrations, seed, retrain) and
# `manager` (the operator). Static binaries on distroless, running as non-root.
#   docker build --target platform -t events-platform .
#   docker build --target manager  -t events-platform-operator .
FROM golang:1.26 AS build
WORKDIR /src
ARG VERSION=dev
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -ldflags "-s -w -X github.com/events-platform/events-platform/internal/buildinfo.Version=${VERSION}" \
      -o /out/platform ./cmd/platform && \
    go build -ldflags "-s -w -X github.com/events-platform/events-platform/internal/buildinfo.Version=${VERSION}" -o /out/manager ./cmd/manager

FROM gcr.io/distroless/static-debian12:nonroot AS platform
COPY --from=build /out/platform /platform
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/platform"]
CMD ["serve", "--target=all"]

FROM gcr.io/distroless/static-debian12:nonroot AS manager
COPY --from=build /out/manager /manager
USER 65532:65532
ENTRYPOINT ["/manager"]
