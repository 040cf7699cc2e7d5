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

# The library (root), the examples and the harnesses are three modules; every
# target below covers all three. Only the root module is what importers get.
MODULES := . examples harness

# Compatibility run: the library's tests once more against the newest SDK and
# openai-go releases the module proxy serves (README: supported range).
COMPAT_MODULES ?= go.temporal.io/sdk@latest github.com/openai/openai-go/v3@latest

.PHONY: all tools test lint tidy fmt demo bench chaos compat browser clean help

all: lint test

help:
	@echo "make demo    run the three example flows on an embedded dev server"
	@echo "make test    build the tools, then run every test (integration included)"
	@echo "make lint    gofmt, go mod tidy -diff, go vet, golangci-lint, workflowcheck (every module)"
	@echo "make compat  the library's tests against the newest SDK and openai-go"
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
	@set -e; for m in $(MODULES); do echo "== go test ($$m)"; (cd $$m && $(GO) test $(TEST_FLAGS) ./...); done

lint: tools tidy
	@echo "gofmt"; out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bin/*')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@set -e; for m in $(MODULES); do echo "== vet, golangci-lint, workflowcheck ($$m)"; \
	  (cd $$m && $(GO) vet ./... && $(GOLANGCI_LINT) run --allow-parallel-runners ./... && $(WORKFLOWCHECK) ./...); done

# Every module is tidy: go mod tidy would change nothing.
tidy:
	@set -e; for m in $(MODULES); do echo "go mod tidy -diff ($$m)"; (cd $$m && $(GO) mod tidy -diff); done

# The library's own tests on a copy of the root module whose go.mod asks for
# the newest releases (examples and harnesses stay on the pinned versions).
compat: tools
	@set -e; dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	  rsync -a --exclude /.git --exclude /bin --exclude /examples --exclude /harness --exclude /demo-output ./ "$$dir/"; \
	  cd "$$dir" && $(GO) get $(COMPAT_MODULES) && $(GO) mod tidy && \
	  echo "compat: $$($(GO) list -m go.temporal.io/sdk github.com/openai/openai-go/v3 | tr '\n' ' ')" && \
	  $(GO) test -count=1 -timeout 30m ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

demo: tools
	cd examples && $(GO) run ./demo -out $(CURDIR)/demo-output $(DEMO_FLAGS)

# The side-by-side report against the hand-written baseline (dev server + LLM
# test server), written to docs/BENCHMARKS.md. TestReport also runs every go
# benchmark of the repository (idem, llm, harness/bench) once, -count=3, and
# reports them: no second run here.
bench: tools
	cd harness && BENCH_REPORT=$(CURDIR)/docs/BENCHMARKS.md $(GO) test ./bench -run TestReport -count=1 -timeout 30m -v

# The crash-and-restart harness, long version: make chaos N=200 runs N runs
# per flow on background Responses, then on chat completions (API=background
# or API=chat runs one), and writes docs/CHAOS.md with both side by side.
N ?= 50
chaos: tools
	cd harness && CHAOS_N=$(N) CHAOS_API=$(or $(API),both) CHAOS_COMMAND="make chaos N=$(N)$(if $(API), API=$(API))" \
		CHAOS_REPORT=$(CURDIR)/docs/CHAOS.md $(GO) test ./chaos -run TestChaos -count=1 -timeout 180m -v

clean:
	rm -rf $(BIN)
