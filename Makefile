# LatentOT: `make run` and `make test` work on a fresh Debian machine (they install what is missing).
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= release
BIN := .build/$(CONFIG)/latentot
DEBIAN_PACKAGES := pkg-config libopenblas-dev libpng-dev zlib1g-dev libjpeg-dev dataset-fashion-mnist

.PHONY: run test bench deps build clean

## Install the Debian packages that are missing (and only when something is missing).
deps:
	@if [ "$$(uname)" = Linux ] && command -v dpkg-query >/dev/null; then \
	  missing=""; for p in $(DEBIAN_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	  done; \
	  if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	  fi; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG) --product latentot

## The main job on the embedded default.
run: build
	./scripts/run-main-job.sh $(BIN)

## The whole suite, release mode (the numerics are heavy).
test: deps
	$(SWIFT) build -c release --build-tests
	$(SWIFT) test -c release --skip-build

## Benchmarks against baselines measured in the same run (docs/benchmarks.md). FULL=1 also runs the
## reference solver to the tolerance and records its steps; BENCH_ARGS passes more flags (e.g. --quick).
bench: deps
	$(SWIFT) build -c release --product latentot-bench
	.build/release/latentot-bench $(if $(FULL),--full,) $(BENCH_ARGS)

clean:
	rm -rf .build
