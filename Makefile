# tracee: build, test, benchmark and regenerate.
# The host binary and every signature plugin are built with the same flags (CGO_ENABLED=1, -trimpath):
# Go plugins only load into a host built the same way.
SHELL := /bin/bash
GO ?= go
export CGO_ENABLED := 1
BUILD_FLAGS := -trimpath
DIST := dist

.PHONY: all build tracee signatures example test test-unit bench mocks man generate events aliases check-generated run clean install deb image helm-template

all: build

build: tracee signatures

tracee:
	$(GO) build $(BUILD_FLAGS) -o $(DIST)/tracee ./cmd/tracee

signatures:
	@mkdir -p $(DIST)/signatures
	$(GO) build $(BUILD_FLAGS) -buildmode=plugin -o $(DIST)/signatures/builtin.so ./signatures/plugin

example:
	@mkdir -p $(DIST)/examples
	$(GO) build $(BUILD_FLAGS) -buildmode=plugin -o $(DIST)/examples/example.so ./examples/signature-plugin

# Every test: installs and starts what the tests need (scripts/test.d/*), then runs go test.
test: build
	bash scripts/test.sh

# Unit tests only: no services, no root needed.
test-unit:
	$(GO) test $(BUILD_FLAGS) -count=1 ./...

bench:
	bash scripts/bench.sh

mocks:
	$(GO) tool mockery

man: tracee
	rm -rf docs/man && $(DIST)/tracee gen-man docs/man

generate:
	$(GO) generate ./internal/adapters/ebpf/...

# Regenerates internal/domain/events_gen.go (Tracee v0.24.1's events plus this kernel's syscalls Tracee lacks).
# Not part of generate: it reads tracefs, which needs root; mounts tracefs first if it is not mounted.
events:
	@mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
	cd internal/domain && $(GO) generate -run eventgen .

# types/ re-exports Tracee's published types module (the version go.mod pins).
aliases:
	$(GO) run ./internal/tools/typesalias

# Fails when committed generated files (mocks, man pages, type aliases) differ from what the sources produce.
check-generated: mocks man aliases
	@if [ -n "$$(git status --porcelain -- mocks docs/man types)" ]; then \
		git status --porcelain -- mocks docs/man types; \
		echo "generated files are stale: run 'make mocks man aliases' and commit the result" >&2; exit 1; fi

# Installs the agent, its signatures, man pages, completions, systemd unit and default options:
#   make install PREFIX=/usr/local [DESTDIR=/staging]   (see scripts/install.sh for the directories)
PREFIX ?= /usr/local
install: build
	PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) DIST=$(DIST) bash scripts/install.sh

# Builds dist/tracee_VERSION_ARCH.deb with dpkg-deb (postinst starts the unit only under systemd).
deb: build
	DIST=$(DIST) bash scripts/deb.sh

# Builds the container image without a registry (buildah from scratch: Debian's libc and the
# built files) into dist/tracee-image.oci.tar; needs root and buildah. See docs/install.md.
image: build
	DIST=$(DIST) bash scripts/image.sh

# Renders the Helm chart (helm, a Go tool of packaging/tools/go.mod) and regenerates the plain
# manifest deploy/kubernetes/tracee.yaml from it (default values, namespace tracee).
KUBE_VERSION ?= 1.31.0
helm-template:
	bash scripts/k8s-manifest.sh

# Runs the agent live (needs root and a kernel with BTF); Ctrl-C stops it.
run: build
	$(DIST)/tracee $(ARGS)

clean:
	rm -rf $(DIST)
