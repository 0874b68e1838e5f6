# Multi-stage build of the worker and migrate binaries.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -o /out/worker ./cmd/worker && CGO_ENABLED=0 go build -o /out/migrate ./cmd/migrate

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/worker /out/migrate /usr/local/bin/
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/worker"]
CMD ["run", "--migrate"]
