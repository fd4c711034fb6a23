# HAFS Studio developer commands. Each target creates .venv itself on first use.
#   make run     install and open the studio
#   make test    install with test extras and run ruff, the import contracts and pytest
#   make bench   run the benchmarks (results land in benchmarks/results/)
#   make screenshot   render docs/screenshot.png

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2
# llama-cpp-python (test extra) compiles llama.cpp: portable flags, so a wheel pip caches here
# cannot die with SIGILL on an older CPU, and no multimodal part we do not use.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF

.PHONY: run test lint bench screenshot system-deps system-deps-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# Reinstall (and rebuild studio._native) when the build inputs change.
NATIVE_SOURCES := $(wildcard native/src/*.cpp native/src/*.h native/cmake/*)

$(VENV)/.run-installed: pyproject.toml CMakeLists.txt $(NATIVE_SOURCES) | $(BIN)/python
	@echo "Installing HAFS Studio with every Deploy backend. The first time, pip compiles"
	@echo "llama.cpp for llama-cpp-python (about 4-5 minutes on 2 cores; cached afterwards)."
	$(PIP) install -q -e '.[deploy]'
	touch $@

$(VENV)/.test-installed: pyproject.toml CMakeLists.txt $(NATIVE_SOURCES) | $(BIN)/python
	$(PIP) install -q -e '.[test]'
	touch $@ $(VENV)/.run-installed

system-deps:
	@scripts/system-deps.sh run

system-deps-test:
	@scripts/system-deps.sh test

run: system-deps $(VENV)/.run-installed
	$(BIN)/hafs-studio

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	PYTHONPATH=examples/plugins/hello_studio $(BIN)/lint-imports

# HAFS_STUDIO_REQUIRE_REAL_PARTS: a test that would skip for lack of sshd or llama-cpp-python
# fails instead (studio/testing/real_parts.py), so a green run means those paths really ran.
test: system-deps-test $(VENV)/.test-installed lint
	HAFS_STUDIO_REQUIRE_REAL_PARTS=1 $(BIN)/python -m pytest

bench: $(VENV)/.test-installed
	$(PIP) install -q -e '.[test,bench]'
	for script in benchmarks/*.py; do case $$script in */_*) ;; *) $(BIN)/python $$script || exit 1;; esac; done

screenshot: $(VENV)/.run-installed
	$(BIN)/hafs-studio --screenshot docs/screenshot.png --size 1600x1000

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
