# Multi-stage build of the worker and migrate binaries.
# The Go image is exactly go.mod's `go` line: the image sets
# GOTOOLCHAIN=local, so an older one refuses the module and a newer one
# builds with a different toolchain than `make test` used.
# internal/devtools/packaging's test keeps the two equal.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -o /out/worker ./cmd/worker && CGO_ENABLED=0 go build -o /out/migrate ./cmd/migrate

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/worker /out/migrate /usr/local/bin/
# Tells the worker its start-up banner is read from outside a container:
# it then prints docker commands, not local ones (docker-compose.yml says
# "compose" and where it publishes the HTTP port).
ENV SPSYNC_CONTAINER=docker
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/worker"]
CMD ["run", "--migrate"]
