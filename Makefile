# LatentOT: `make run` and `make test` work on a fresh Debian machine (they install what is missing).
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= release
BIN := .build/$(CONFIG)/latentot
DEBIAN_PACKAGES := pkg-config libopenblas-dev libpng-dev zlib1g-dev libjpeg-dev dataset-fashion-mnist
## Optional: Open MPI for `transport solve --distributed` and `train --distributed` (docs/distributed.md). `make deps-mpi` installs it
## (.ci/run does); without it everything else builds and the MPI targets and tests are left out.
MPI_PACKAGES := libopenmpi-dev openmpi-bin
## Whether to build the MPI targets, decided when a recipe runs (after deps), passed to Package.swift
## (it also keys SwiftPM's manifest cache). Override from the environment: `LATENTOT_MPI=0 make test`.
MPI_SETTING = LATENTOT_MPI=$${LATENTOT_MPI:-$$(pkg-config --exists ompi-c 2>/dev/null && echo 1 || echo 0)}

.PHONY: run test bench bench-mpi deps deps-mpi build clean fuzz test-sanitized

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

## Install Open MPI when it is missing (optional dependency).
deps-mpi:
	@$(MAKE) --no-print-directory deps DEBIAN_PACKAGES="$(MPI_PACKAGES)"

build: deps
	$(MPI_SETTING) $(SWIFT) build -c $(CONFIG) --product latentot

## The main job on the embedded default.
run: build
	./scripts/run-main-job.sh $(BIN)

## The whole suite, release mode (the numerics are heavy), tests in parallel: nothing process-wide
## changes while they run (OpenBLAS is set to one thread once; work is split by problem size).
## With Open MPI present this includes the distributed solver's tests, mpirun runs among them.
test: deps
	$(MPI_SETTING) $(SWIFT) build -c release --build-tests
	$(MPI_SETTING) $(SWIFT) test -c release --skip-build

## The suite under AddressSanitizer (every Swift target and the C shims' inline code, which also get
## UndefinedBehaviorSanitizer: Swift on Linux has no -sanitize=undefined), in its own build folder,
## the CLI tests running its binary. Leak detection is off: the XCTest runner and Open MPI leak at
## exit by design (no LatentOT frame in their reports). Slower than `make test`; not part of it.
SANITIZE = --build-path .build-sanitized --sanitize=address -Xcc -fsanitize=undefined -Xlinker -lubsan
test-sanitized: deps
	$(SWIFT) build -c release --build-tests $(SANITIZE)
	ASAN_OPTIONS=detect_leaks=0 LATENTOT_BINARY=.build-sanitized/release/latentot $(SWIFT) test -c release --skip-build $(SANITIZE)

## libFuzzer + AddressSanitizer on every file reader, RUNS executions each (default 10 million;
## findings in fuzz/crashes/). Not part of `make test`: hours, not minutes.
fuzz: deps
	SWIFT=$(SWIFT) ./scripts/fuzz.sh

## Benchmarks against baselines measured in the same run (docs/benchmarks.md). FULL=1 also runs the
## reference solver to the tolerance and records its steps; BENCH_ARGS passes more flags (e.g. --quick).
bench: deps
	$(SWIFT) build -c release --product latentot-bench
	.build/release/latentot-bench $(if $(FULL),--full,) $(BENCH_ARGS)

## The distributed solver's time per step at K = 1 and 2 ranks, M = 200,000, d = 64 (bench-out/mpi/).
bench-mpi: deps deps-mpi
	LATENTOT_MPI=1 $(SWIFT) build -c release --product latentot
	./scripts/bench-mpi.sh .build/release/latentot

clean:
	rm -rf .build
