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

run: build
	$(BUILD_DIR)/gateway/mtedge --config $(CONFIG)

test: deps
	@scripts/run-tests

clean:
	rm -rf build build-asan
