# Parley — the two commands a newcomer needs are `make run` and `make test`.
GO ?= go
BIN := bin/parley
GOFLAGS_TEST ?= -race -count=1 -timeout=20m
STATICCHECK := v0.8.2

.PHONY: run build test test-go test-postgres lint bench clean

## run: build everything and serve on http://localhost:8080 with SQLite under ./data
run: build
	./$(BIN) serve --data ./data

## build: the parley binary in bin/
build:
	$(GO) build -o $(BIN) ./cmd/parley

## test: every suite — lint, Go tests on SQLite, and the same tests on PostgreSQL
test: lint test-go test-postgres

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK) ./...

## test-go: the Go suites on SQLite
test-go:
	$(GO) test $(GOFLAGS_TEST) ./...

## test-postgres: the same Go suites on PostgreSQL (found or started by scripts/test-postgres.sh)
test-postgres:
	@url=$$(scripts/test-postgres.sh) || { \
	  if [ "$$CI" = "true" ]; then echo "test-postgres: no PostgreSQL (CI must run both databases)"; exit 1; fi; \
	  echo; echo "*** PostgreSQL suite NOT RUN: no PostgreSQL found or installable (set PARLEY_TEST_DATABASE_URL) ***"; echo; exit 0; }; \
	  echo "test-postgres: PARLEY_TEST_DATABASE_URL=$$url"; \
	  PARLEY_TEST_DATABASE_URL="$$url" $(GO) test $(GOFLAGS_TEST) ./...; status=$$?; \
	  scripts/test-postgres-stop.sh; exit $$status

## bench: the hot-path benchmarks (compare runs with benchstat)
bench:
	$(GO) test -run=NONE -bench=. -benchmem -count=6 ./internal/server/ ./internal/mask/

clean:
	rm -rf bin
