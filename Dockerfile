# Multi-stage build: a cgo-free rolemine binary on a minimal glibc runtime image.
# Reproducible: the same source gives the same binary (no paths, VCS stamp or build id in
# it) and the same layers; pin the base images by digest (@sha256:...) in your registry
# mirror to make the image bytes repeatable too.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags="-s -w -buildid=" -o /out/rolemine ./cmd/rolemine

# distroless/base (glibc), not static: purego loads libcuda.so.1 at run time, so the
# binary needs the system loader even though it is built without cgo. The user is given by
# number so that Kubernetes' runAsNonRoot can verify it.
FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /out/rolemine /usr/local/bin/rolemine
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/rolemine"]
