# Warden. `make test` and `make run` are the whole set-up on a fresh Debian
# machine (as root); every target installs what it needs.

GO        ?= go
BIN       := bin
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
export CGO_ENABLED := 0

# Debian packages the privileged tests drive, by the command each provides.
TEST_PKGS  := iptables:iptables ipset:ipset ip:iproute2 conntrack:conntrack capsh:libcap2-bin git:git useradd:passwd
BENCH_PKGS := dnsperf:dnsperf dnsmasq:dnsmasq-base nginx:nginx-light wrk:wrk
IMAGE_PKGS := debootstrap:debootstrap
# The browser the web UI's tests drive (headless, through chromedp).
BROWSER_PKGS := chromium:chromium

.PHONY: all build test test-unit test-e2e test-kube cluster cluster-down fuzz bench run images deps deps-browser deps-ui deps-bench clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/warden ./host/cmd/warden
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/warden-sidecar ./sidecar/cmd/warden-sidecar
	$(GO) build -tags kube -ldflags '$(LDFLAGS)' -o $(BIN)/warden-sidecar-kube ./sidecar/cmd/warden-sidecar
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/probe ./test/probe
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/plugins/warden-agent-aider ./host/plugins/examples/aider
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/devserver ./test/devserver

# deps installs the missing Debian packages of a list of command:package pairs.
define install-missing
	@missing=""; for pair in $(1); do cmd=$${pair%%:*}; pkg=$${pair#*:}; \
	  command -v $$cmd >/dev/null 2>&1 || PATH=$$PATH:/usr/sbin:/sbin command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi
endef

deps:
	$(call install-missing,$(TEST_PKGS))

deps-browser: deps-ui
	$(call install-missing,$(BROWSER_PKGS))

# deps-ui installs xterm.js for the web UI's terminal: Debian's libjs-xterm
# (style sheet, fit addon) and node-xterm (the modules the daemon bundles).
XTERM_FILES := /usr/share/javascript/xterm/xterm.css /usr/share/javascript/xterm/addons/fit/fit.js /usr/share/nodejs/xterm/lib/public/Terminal.js
deps-ui:
	@for f in $(XTERM_FILES); do [ -f $$f ] || missing=1; done; \
	if [ -n "$$missing" ]; then echo "installing: libjs-xterm node-xterm"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjs-xterm node-xterm >/dev/null; fi

deps-bench: deps
	$(call install-missing,$(BENCH_PKGS))
	@[ -f /usr/lib/nginx/modules/ngx_stream_module.so ] || { echo "installing: libnginx-mod-stream"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libnginx-mod-stream >/dev/null; }

# test runs everything: unit tests, fuzz seed corpora, the privileged
# network-namespace suites and the Docker suites. It must run as root with a
# Docker engine; privileged and Docker tests fail (never skip) without them.
test: deps deps-browser images
	@[ "$$(id -u)" = 0 ] || { echo "make test needs root: the privileged tests build network namespaces"; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags kube ./sidecar/cmd/...
	$(GO) test -count=1 ./shared/... ./sidecar/... ./host/...
	$(GO) test -count=1 -tags kube ./sidecar/cmd/...
	$(MAKE) test-e2e
	$(MAKE) test-kube

# test-e2e runs the namespace and Docker suites; the Kubernetes suite
# (test/kube) needs its cluster and runs in test-kube.
test-e2e: deps deps-browser images
	$(GO) test -count=1 -p 1 -timeout 20m $$($(GO) list ./test/... | grep -v /test/kube)

# The Kubernetes backend's single-node test cluster (test/kube/cluster.sh):
# the binaries are built once into $(KUBE_CACHE), the images of IMAGE_TAG
# are imported. cluster-down stops it and cleans up after it.
KUBE_CACHE ?= /var/cache/warden-kube
export KUBE_CACHE
cluster: images
	test/kube/cluster.sh up

cluster-down:
	test/kube/cluster.sh down

# test-kube brings the cluster up, runs the Kubernetes suite on it and
# brings it down, whatever the suite's outcome.
test-kube: images
	@rc=0; test/kube/cluster.sh up && \
	  $(GO) test -count=1 -p 1 -timeout 15m ./test/kube/... || rc=$$?; \
	test/kube/cluster.sh down; exit $$rc

# run starts Warden: the daemon with its API on 127.0.0.1:8090.
run: deps deps-ui images
	$(BIN)/warden serve

# fuzz runs each fuzz target for a while beyond its seeds.
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./shared -run '^$$' -fuzz FuzzParseDomain -fuzztime $(FUZZTIME)
	$(GO) test ./shared -run '^$$' -fuzz FuzzMatch -fuzztime $(FUZZTIME)
	$(GO) test ./sidecar/control -run '^$$' -fuzz FuzzPolicyBody -fuzztime $(FUZZTIME)
	$(GO) test ./sidecar/dnsfilter -run '^$$' -fuzz FuzzParseAnswers -fuzztime $(FUZZTIME)
	$(GO) test ./host/project -run '^$$' -fuzz FuzzWardenFile -fuzztime $(FUZZTIME)
	$(GO) test ./host/project -run '^$$' -fuzz FuzzSpec -fuzztime $(FUZZTIME)
	$(GO) test ./host/agent -run '^$$' -fuzz FuzzCheck -fuzztime $(FUZZTIME)
	$(GO) test ./host/api -run '^$$' -fuzz FuzzProjectBodies -fuzztime $(FUZZTIME)
	$(GO) test ./host/api -run '^$$' -fuzz FuzzGrantBody -fuzztime $(FUZZTIME)
	$(GO) test ./host/api/termwire -run '^$$' -fuzz FuzzCheckStart -fuzztime $(FUZZTIME)
	$(GO) test ./sidecar/nflog -run '^$$' -fuzz FuzzDecodePacket -fuzztime $(FUZZTIME)
	$(GO) test ./sidecar/egress -run '^$$' -fuzz FuzzClientHello -fuzztime $(FUZZTIME)
	$(GO) test ./sidecar/egress -run '^$$' -fuzz FuzzHTTPSplit -fuzztime $(FUZZTIME)
	$(GO) test ./sidecar/egress -run '^$$' -fuzz FuzzParseSegment -fuzztime $(FUZZTIME)
	$(GO) test ./sidecar/nflog -run '^$$' -fuzz FuzzParsePacket -fuzztime $(FUZZTIME)
	$(GO) test ./host/proxy -run '^$$' -fuzz FuzzParseHost -fuzztime $(FUZZTIME)
	$(GO) test ./host/proxy -run '^$$' -fuzz FuzzHeadEnd -fuzztime $(FUZZTIME)
	$(GO) test ./shared -run '^$$' -fuzz FuzzParsePort -fuzztime $(FUZZTIME)
	$(GO) test ./sidecar/ports -run '^$$' -fuzz FuzzParseTable -fuzztime $(FUZZTIME)

# Images. BASE picks the base image of every Dockerfile; left empty, `images`
# uses REGISTRY_BASE when it is present or can be pulled, and otherwise builds
# LOCAL_BASE from Debian packages (images/base/build.sh). Each build gets a
# context of its Dockerfile and the binaries it copies, so the rest of the
# tree never goes to the engine.
BASE             ?=
REGISTRY_BASE    ?= debian:bookworm-slim
LOCAL_BASE       ?= warden-base:bookworm
# IMAGE_TAG tags the sidecar, test-agent and host images; the Docker tests use the
# same tag (WARDEN_IMAGE_TAG), so two trees can test side by side.
IMAGE_TAG        ?= latest
export WARDEN_IMAGE_TAG := $(IMAGE_TAG)
SIDECAR_IMAGE    ?= warden-sidecar:$(IMAGE_TAG)
AGENT_TEST_IMAGE ?= warden-agent-test:$(IMAGE_TAG)
HOST_IMAGE       ?= warden-host:$(IMAGE_TAG)
PULL_TIMEOUT     ?= 120
# The built-in agents' images (images/<type>/Dockerfile) install the agents'
# CLIs from npm. Where NPM_REGISTRY does not answer within NPM_CHECK_TIMEOUT
# seconds, `images` builds the rest and says which it left out; projects of
# those types then need an explicit --image.
AGENT_TYPES       ?= claude-code codex
NPM_REGISTRY      ?= https://registry.npmjs.org/
NPM_CHECK_TIMEOUT ?= 5

images: build
	@command -v docker >/dev/null || { echo "make images needs the docker CLI and a running engine"; exit 1; }
	@set -e; base="$(BASE)"; \
	if [ -z "$$base" ]; then \
	  if docker image inspect $(REGISTRY_BASE) >/dev/null 2>&1; then base=$(REGISTRY_BASE); \
	  elif echo "pulling $(REGISTRY_BASE)"; timeout $(PULL_TIMEOUT) docker pull $(REGISTRY_BASE); then base=$(REGISTRY_BASE); \
	  else echo "no registry: building $(LOCAL_BASE) from Debian packages"; IMAGE=$(LOCAL_BASE) images/base/build.sh; base=$(LOCAL_BASE); fi; \
	fi; \
	echo "==> $(SIDECAR_IMAGE) (FROM $$base)"; \
	tar -c Dockerfile.sidecar $(BIN)/warden-sidecar $(BIN)/warden-sidecar-kube | \
	  docker build -f Dockerfile.sidecar --build-arg BASE=$$base -t $(SIDECAR_IMAGE) -; \
	echo "==> $(AGENT_TEST_IMAGE) (FROM $$base)"; \
	tar -c images/agent-test/Dockerfile $(BIN)/probe $(BIN)/devserver | \
	  docker build -f images/agent-test/Dockerfile --build-arg BASE=$$base -t $(AGENT_TEST_IMAGE) -; \
	echo "==> $(HOST_IMAGE) (FROM $$base)"; \
	tar -c Dockerfile.host $(BIN)/warden | \
	  docker build -f Dockerfile.host --build-arg BASE=$$base -t $(HOST_IMAGE) -; \
	if ! command -v curl >/dev/null; then why="curl is missing, so $(NPM_REGISTRY) cannot be checked"; \
	elif ! curl -fsS -o /dev/null -m $(NPM_CHECK_TIMEOUT) $(NPM_REGISTRY) 2>/dev/null; then \
	  why="$(NPM_REGISTRY) cannot be reached (tried for up to $(NPM_CHECK_TIMEOUT)s)"; else why=""; fi; \
	for a in $(AGENT_TYPES); do \
	  if [ -n "$$why" ]; then echo "==> LEFT OUT warden-agent-$$a:latest: $$why (its CLI comes from npm); projects of type $$a need --image until it is built" >&2; continue; fi; \
	  echo "==> warden-agent-$$a:latest (FROM $$base)"; \
	  tar -c images/$$a/Dockerfile | \
	    docker build -f images/$$a/Dockerfile --build-arg BASE=$$base --build-arg NPM_REGISTRY=$(NPM_REGISTRY) -t warden-agent-$$a:latest -; \
	done

bench: deps-bench images
	$(call install-missing,jq:jq)
	bench/run.sh

clean:
	rm -rf $(BIN) bench/out
