# Multi-stage build: a static rolemine binary on a minimal runtime image.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/rolemine ./cmd/rolemine

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/rolemine /usr/local/bin/rolemine
USER nonroot
ENTRYPOINT ["/usr/local/bin/rolemine"]
