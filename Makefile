# Parley — the two commands a newcomer needs are `make run` and `make test`.
GO ?= go
NPM ?= npm
BIN := bin/parley
WIDGET := web/widget
DASHBOARD := web/dashboard
GOFLAGS_TEST ?= -race -count=1 -timeout=20m
STATICCHECK := v0.8.2
# parley version: stamped from git; a build without git falls back to Go's
# own record of the commit, else "dev".
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
BUILD_DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
BUILDINFO := github.com/parley-chat/parley/internal/buildinfo
LDFLAGS := -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).commit=$(COMMIT) -X $(BUILDINFO).date=$(BUILD_DATE)

.PHONY: run geoip build binary widget dashboard test test-go test-postgres test-web test-e2e lint bench clean

## run: build everything and serve on http://localhost:8080 with SQLite under ./data
run: build geoip
	./$(BIN) serve --data ./data

## geoip: fetch DB-IP Lite City (IPv4 + IPv6 .mmdb, CC BY 4.0) into ./data/geoip once, for visitors' location
geoip:
	@scripts/fetch-geoip.sh ./data/geoip

## build: the chat box and the dashboard, then the parley binary (which embeds them) in bin/
build: widget dashboard binary

## binary: the parley binary alone, stamped with its version (embeds the front ends as last built)
binary:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/parley

## widget: the chat box (Svelte + Vite) into web/widget/dist
widget: $(WIDGET)/node_modules/.installed
	cd $(WIDGET) && $(NPM) run build
	@touch $(WIDGET)/dist/placeholder.txt

$(WIDGET)/node_modules/.installed: $(WIDGET)/package.json $(WIDGET)/package-lock.json
	cd $(WIDGET) && $(NPM) ci --no-audit --no-fund
	@touch $@

## dashboard: the agent dashboard (Svelte + Vite) into web/dashboard/dist
dashboard: $(DASHBOARD)/node_modules/.installed
	cd $(DASHBOARD) && $(NPM) run build
	@touch $(DASHBOARD)/dist/placeholder.txt

$(DASHBOARD)/node_modules/.installed: $(DASHBOARD)/package.json $(DASHBOARD)/package-lock.json
	cd $(DASHBOARD) && $(NPM) ci --no-audit --no-fund
	@touch $@

e2e/node_modules/.installed: e2e/package.json e2e/package-lock.json
	cd e2e && $(NPM) ci --no-audit --no-fund
	@touch $@

## test: every suite — lint, Go tests on SQLite and on PostgreSQL, the chat box's unit and size tests, the browser tests
test: lint test-go test-postgres test-web test-e2e

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK) ./...

## test-go: the Go suites on SQLite, and every benchmark run once (so a benchmark that no longer runs fails the build)
test-go:
	$(GO) test $(GOFLAGS_TEST) ./...
	$(GO) test -run=NONE -bench=. -benchtime=1x -count=1 ./...

## test-postgres: the same Go suites on PostgreSQL (found or started by scripts/test-postgres.sh)
test-postgres:
	@url=$$(scripts/test-postgres.sh) || { \
	  if [ "$$CI" = "true" ]; then echo "test-postgres: no PostgreSQL (CI must run both databases)"; exit 1; fi; \
	  echo; echo "*** PostgreSQL suite NOT RUN: no PostgreSQL found or installable (set PARLEY_TEST_DATABASE_URL) ***"; echo; exit 0; }; \
	  echo "test-postgres: PARLEY_TEST_DATABASE_URL=$$url"; \
	  PARLEY_TEST_DATABASE_URL="$$url" $(GO) test $(GOFLAGS_TEST) ./...; status=$$?; \
	  scripts/test-postgres-stop.sh; exit $$status

## test-web: type checks and unit tests of the chat box and the dashboard (and the chat box's size budgets)
test-web: widget dashboard
	cd $(WIDGET) && $(NPM) run check && $(NPM) test
	cd $(DASHBOARD) && $(NPM) run check && $(NPM) test

## test-e2e: browser tests (playwright-core driving Debian's Chromium) against a real parley serve
test-e2e: build e2e/node_modules/.installed
	scripts/ensure-chromium.sh
	cd e2e && $(NPM) test

## bench: the hot-path benchmarks (compare runs with benchstat)
bench:
	$(GO) test -run=NONE -bench=. -benchmem -count=6 ./internal/server/ ./internal/mask/

clean:
	rm -rf bin $(WIDGET)/dist/assets $(WIDGET)/dist/*.js $(WIDGET)/dist/*.html $(DASHBOARD)/dist/assets $(DASHBOARD)/dist/*.html
