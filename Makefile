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

.PHONY: run test fuzz lint bench llama-server screenshot system-deps system-deps-test clean native-selftest native-arm64

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
# HAFS_STUDIO_HYPOTHESIS=gate: property tests use the same (derandomized) examples every run, so
# the gate never turns red by chance; `make fuzz` is where new examples are searched for.
test: system-deps-test $(VENV)/.test-installed lint
	HAFS_STUDIO_REQUIRE_REAL_PARTS=1 HAFS_STUDIO_HYPOTHESIS=gate $(BIN)/python -m pytest

# The property-based tests only, with fresh random examples and ten times as many of them.
fuzz: $(VENV)/.test-installed
	HAFS_STUDIO_HYPOTHESIS=fuzz $(BIN)/python -m pytest -q $$(grep -rl --include="test_*.py" "from hypothesis" tests)

bench: $(VENV)/.test-installed
	$(PIP) install -q -e '.[test,bench]'
	for script in benchmarks/*.py; do case $$script in */_*|*/report.py) ;; *) $(BIN)/python $$script || exit 1;; esac; done
	$(BIN)/python benchmarks/report.py

# llama.cpp's own C++ server (optional): the Deploy backend runs it instead of
# `python -m llama_cpp.server` when the tools setting or PATH has one. Built from the llama.cpp
# that the installed llama-cpp-python vendors (the same version), portable like its wheel; a few
# minutes on 2 cores. tests/plugins/deploy and benchmarks/deploy_server.py pick it up here.
LLAMA_SERVER := build/llama-server/bin/llama-server
llama-server: $(LLAMA_SERVER)
$(LLAMA_SERVER): | $(VENV)/.test-installed
	version=$$($(BIN)/python -c "import importlib.metadata as m; print(m.version('llama-cpp-python'))") && \
	rm -rf build/llama-server-src && mkdir -p build/llama-server-src && \
	$(PIP) download -q --no-binary :all: --no-deps "llama-cpp-python==$$version" -d build/llama-server-src && \
	tar xzf build/llama-server-src/llama_cpp_python-$$version.tar.gz -C build/llama-server-src && \
	cmake -S build/llama-server-src/llama_cpp_python-$$version/vendor/llama.cpp -B build/llama-server \
	  -DGGML_NATIVE=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
	  -DCMAKE_BUILD_TYPE=Release && \
	cmake --build build/llama-server --target llama-server -j$$(nproc)

# C++ checks of the kernels without Python (native/tests/selftest.cpp), on this CPU.
native-selftest:
	cmake -S . -B build/selftest -DHAFS_NATIVE_PYTHON=OFF -DHAFS_NATIVE_SELFTEST=ON
	cmake --build build/selftest
	build/selftest/hafs_native_selftest

# The same for AArch64 under qemu-user: the NEON/portable paths, then the x86 AVX2/AVX-512 files
# through SIMDe. Needs g++-aarch64-linux-gnu, qemu-user-static and libsimde-dev (Debian).
ARM64_CMAKE := -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 \
	-DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++ -DHAFS_NATIVE_PYTHON=OFF -DHAFS_NATIVE_SELFTEST=ON
QEMU_ARM64 := qemu-aarch64-static -L /usr/aarch64-linux-gnu
native-arm64:
	cmake -S . -B build/arm64 $(ARM64_CMAKE)
	cmake --build build/arm64
	$(QEMU_ARM64) build/arm64/hafs_native_selftest
	cmake -S . -B build/arm64-simde $(ARM64_CMAKE) -DHAFS_SIMDE_X86=ON
	cmake --build build/arm64-simde
	$(QEMU_ARM64) build/arm64-simde/hafs_native_selftest

screenshot: $(VENV)/.run-installed
	$(BIN)/hafs-studio --screenshot docs/screenshot.png --size 1600x1000

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
