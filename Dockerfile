# Multi-stage build: a cgo-free rolemine binary on a minimal glibc runtime image.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/rolemine ./cmd/rolemine

# distroless/base (glibc), not static: purego loads libcuda.so.1 at run time, so the
# binary needs the system loader even though it is built without cgo.
FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /out/rolemine /usr/local/bin/rolemine
USER nonroot
ENTRYPOINT ["/usr/local/bin/rolemine"]
