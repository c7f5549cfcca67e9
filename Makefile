# The two commands of the README:
#   make run   install what is missing, build, run the embedded default from conf/mtedge.toml
#   make test  install what is missing, build, run every test (see scripts/run-tests)
SHELL := /bin/bash
BUILD_DIR ?= build
CONFIG ?= conf/mtedge.toml
JOBS ?= $(shell nproc)

NODE_DIR := .cache/node
# Node's ws package for the WebSocket tests (tests/integration/test_websocket_node.py).
WS_VERSION := 8.18.0
# GramJS, the Node MTProto client (npm `telegram`, API layer 193), for
# tests/integration/test_messenger_gramjs.py.
GRAMJS_VERSION := 2.26.16

.PHONY: all run test deps node-deps build install clean
all: build

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DMTEDGE_WERROR=ON >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build var/rsa_private.pem
	$(BUILD_DIR)/gateway/mtedge --config $(CONFIG)

# The server's RSA key for the DH handshake (crypto.rsa_private_keys in conf/mtedge.toml),
# generated once per clone into the git-ignored var/. Clients need its public half.
var/rsa_private.pem: | deps
	@mkdir -p var
	@(umask 077 && openssl genrsa -out $@ 2048 2>/dev/null)
	@echo "generated $@ (public key: openssl rsa -in $@ -RSAPublicKey_out)"

# The binary into $(DESTDIR)$(PREFIX)/bin, where conf/mtedge.service looks for it
# (docs/operations.md "Running as a service").
PREFIX ?= /usr/local
install: build
	install -D -m 0755 $(BUILD_DIR)/gateway/mtedge $(DESTDIR)$(PREFIX)/bin/mtedge

# Node packages for the interoperability tests (ws, GramJS) at their pinned versions, into a
# git-ignored folder.
node_package = grep -q '"version": "$(2)"' $(NODE_DIR)/node_modules/$(1)/package.json 2>/dev/null || \
  npm install --prefix $(NODE_DIR) --no-audit --no-fund --loglevel=error $(1)@$(2) >/dev/null
node-deps: deps
	@$(call node_package,ws,$(WS_VERSION))
	@$(call node_package,telegram,$(GRAMJS_VERSION))

test: deps node-deps
	@scripts/run-tests

clean:
	rm -rf build build-asan
