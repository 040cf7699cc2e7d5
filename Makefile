# durable-llm: every target works on a fresh clone with nothing but Go installed.

GO     ?= go
BIN    := $(CURDIR)/bin
export GOBIN := $(BIN)
export PATH  := $(BIN):$(PATH)

# Tool versions: the one place they are pinned.
TEMPORAL_CLI_VERSION  := v1.5.1
GOLANGCI_LINT_VERSION := v2.15.0
WORKFLOWCHECK_VERSION := v0.6.0

TEMPORAL      := $(BIN)/temporal
GOLANGCI_LINT := $(BIN)/golangci-lint
WORKFLOWCHECK := $(BIN)/workflowcheck
# A stamp per version, so a new pin rebuilds the tool and an existing one is reused.
STAMPS := $(BIN)/.temporal-$(TEMPORAL_CLI_VERSION) \
          $(BIN)/.golangci-lint-$(GOLANGCI_LINT_VERSION) \
          $(BIN)/.workflowcheck-$(WORKFLOWCHECK_VERSION)

# Integration tests talk to the real dev server and PostgreSQL; under make they
# must run, never skip.
export DURABLE_INTEGRATION := 1
export TEMPORAL_CLI        := $(TEMPORAL)
IDEM_POSTGRES_DSN          ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export IDEM_POSTGRES_DSN

TEST_FLAGS ?= -race -count=1 -timeout 30m

.PHONY: all tools test lint fmt demo bench chaos browser clean help

all: lint test

help:
	@echo "make demo    run the three example flows on an embedded dev server"
	@echo "make test    build the tools, then run every test (integration included)"
	@echo "make lint    gofmt, go vet, golangci-lint, workflowcheck"
	@echo "make bench   run the benchmarks and write docs/BENCHMARKS.md"
	@echo "make chaos   the crash harness, long version (N=200), writes docs/CHAOS.md"
	@echo "make tools   build the pinned tools into ./bin"

tools: $(STAMPS)

$(BIN)/.temporal-$(TEMPORAL_CLI_VERSION):
	@echo "building temporal CLI $(TEMPORAL_CLI_VERSION) into ./bin (about 3 minutes the first time)"
	$(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)
	@touch $@

$(BIN)/.golangci-lint-$(GOLANGCI_LINT_VERSION):
	$(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	@touch $@

$(BIN)/.workflowcheck-$(WORKFLOWCHECK_VERSION):
	$(GO) install go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION)
	@touch $@

# Debian's Chromium for the browser tests (the tests never download a browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "warning: could not install chromium (need root and Debian packages)"; }

test: tools browser
	$(GO) test $(TEST_FLAGS) ./...

lint: tools
	@echo "gofmt"; out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bin/*')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOLANGCI_LINT) run --allow-parallel-runners ./...
	$(WORKFLOWCHECK) ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

demo: tools
	$(GO) run ./examples/demo $(DEMO_FLAGS)

# Benchmarks, then the side-by-side report against the hand-written baseline
# (dev server + LLM test server), written to docs/BENCHMARKS.md.
bench: tools
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./...
	BENCH_REPORT=$(CURDIR)/docs/BENCHMARKS.md $(GO) test ./bench -run TestReport -count=1 -timeout 30m -v

# The crash-and-restart harness, long version: make chaos N=200.
N ?= 50
chaos: tools
	CHAOS_N=$(N) CHAOS_REPORT=$(CURDIR)/docs/CHAOS.md $(GO) test ./chaos -run TestChaos -count=1 -timeout 120m -v

clean:
	rm -rf $(BIN)
