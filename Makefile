# The two commands of the README:
#   make run   install what is missing, build, run the embedded default from conf/mtedge.toml
#   make test  install what is missing, build, run every test (see scripts/run-tests)
SHELL := /bin/bash
BUILD_DIR ?= build
CONFIG ?= conf/mtedge.toml
JOBS ?= $(shell nproc)

.PHONY: all run test deps build clean
all: build

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMTEDGE_WERROR=ON >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build var/rsa_private.pem
	$(BUILD_DIR)/gateway/mtedge --config $(CONFIG)

# The server's RSA key for the DH handshake (crypto.rsa_private_keys in conf/mtedge.toml),
# generated once per clone into the git-ignored var/. Clients need its public half.
var/rsa_private.pem: | deps
	@mkdir -p var
	@(umask 077 && openssl genrsa -out $@ 2048 2>/dev/null)
	@echo "generated $@ (public key: openssl rsa -in $@ -RSAPublicKey_out)"

test: deps
	@scripts/run-tests

clean:
	rm -rf build build-asan
