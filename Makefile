# Tide — the two commands a newcomer needs: `make demo` and `make test`.
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
export PATH := /opt/swift/usr/bin:$(PATH)
ARGS ?=

# Debian packages Tide builds and tests with (prometheus: for `promtool check metrics` in the tests). pkg-config names checked by `deps-check`.
DEB_PACKAGES := pkg-config libgit2-dev libyaml-dev libsqlite3-dev libmicrohttpd-dev libssl-dev libsystemd-dev libcurl4 git sqlite3 prometheus systemd curl
PKG_MODULES := libgit2 yaml-0.1 sqlite3 libmicrohttpd libcrypto libsystemd

.PHONY: all deps deps-check build debug test unit e2e bench demo clean format

all: build

# Installs missing Debian packages: `apt-get update` once, then `apt-get install` (as root or via sudo).
deps:
	@./scripts/install-deps $(DEB_PACKAGES)

deps-check:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists $(PKG_MODULES) || ! command -v git >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory deps; fi

build: deps-check
	$(SWIFT) build -c release --product tide
	@echo "built: $$($(SWIFT) build -c release --show-bin-path)/tide"

debug: deps-check
	$(SWIFT) build --product tide

# The whole suite, one test at a time (several tests run real servers and processes, and Swift
# concurrency has one thread per core here): unit tests, then the end-to-end tests.
test: deps-check
	$(SWIFT) build --build-tests
	SWIFT=$(SWIFT) ./scripts/run-tests unit
	SWIFT=$(SWIFT) ./scripts/run-tests e2e

# Quick: everything but the end-to-end tests.
unit: deps-check
	$(SWIFT) build --build-tests
	SWIFT=$(SWIFT) ./scripts/run-tests unit

# One fleet at a time: each end-to-end test runs a controller and ten agents.
e2e: deps-check
	$(SWIFT) build --build-tests
	SWIFT=$(SWIFT) ./scripts/run-tests e2e

bench: deps-check
	./scripts/bench $(ARGS)

demo: deps-check
	./scripts/demo $(ARGS)

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

clean:
	rm -rf .build
