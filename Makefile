# fleetsim - build, run, test, bench, install.
#
# `make`        builds build/fleetsim (installs missing -dev packages first)
# `make run`    set-up, build, run the example scenario, print the report path
# `make test`   set-up, build, every unit and scenario test, then again under
#               AddressSanitizer + UndefinedBehaviorSanitizer, the fuzzers,
#               ThreadSanitizer on the crypto pool, and test-slurm
# `make test-slurm`  the sweep chain under a single-node Slurm started on
#               this machine (tests/slurm-check.sh; as root, installs
#               slurm-wlm and munge when missing)
# `make bench`  engine benchmark (and the ns-3 hold model when libns3-dev is
#               installed)
# `make install PREFIX=/usr/local`, `make clean`, `make lint`

PREFIX    ?= /usr/local
CC        ?= cc
BUILD     ?= build
PKGS      := libuv libsodium sqlite3 libzstd yaml-0.1 cmocka
DEB_PKGS  := pkg-config libuv1-dev libsodium-dev libsqlite3-dev libzstd-dev \
             libyaml-dev libcmocka-dev clang-format parallel sqlite3
EXAMPLE   ?= scenarios/dw100-fleet.yaml
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer

WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wundef -Wformat=2 -Wno-format-nonliteral
OPT       ?= -O2 -g
ifeq ($(CI),true)
WARN      += -Werror
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs libuv libsodium sqlite3 libzstd yaml-0.1 2>/dev/null)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Iinclude $(PKG_CFLAGS) \
             $(EXTRA_CFLAGS) $(CFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lm -lpthread $(EXTRA_LDFLAGS)

SRC_DIRS  := sim/engine sim/model device service sim/scenario sim/attack \
             sim/run report sim/cli
ALL_SRC   := $(sort $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c)))
LIB_SRC   := $(filter-out sim/cli/main.c,$(ALL_SRC))
INT_HDRS  := $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*_int.h))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC  := $(sort $(wildcard tests/test_*.c))
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
HEADERS   := $(wildcard include/fleetsim/*.h)

.PHONY: format all deps browser-deps browser-check run test unit scenario-tests \
        asan bench install clean lint check fuzz fuzz-build fuzz-deps \
        test-slurm tsan

all: deps $(BUILD)/fleetsim

# Install the -dev packages a fresh Debian machine lacks (as root), or say
# exactly what to run.
deps:
	@missing=""; for p in $(PKGS); do \
	  pkg-config --exists $$p 2>/dev/null || missing="$$missing $$p"; done; \
	command -v clang-format >/dev/null || missing="$$missing clang-format"; \
	command -v parallel >/dev/null || missing="$$missing parallel"; \
	command -v sqlite3 >/dev/null || missing="$$missing sqlite3"; \
	if [ -n "$$missing" ]; then \
	  echo "fleetsim: missing libraries:$$missing"; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "fleetsim: installing $(DEB_PKGS)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	     apt-get install -y -qq $(DEB_PKGS)) >/dev/null || exit 1; \
	  else \
	    echo "run: sudo apt-get install -y $(DEB_PKGS)"; exit 1; \
	  fi; \
	fi

# Debian's chromium for tests/browser-check.py, installed (as root) when
# missing, or say exactly what to run.
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "fleetsim: chromium missing (for the browser check)"; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "fleetsim: installing chromium"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	     apt-get install -y -qq chromium) >/dev/null || exit 1; \
	  else \
	    echo "run: sudo apt-get install -y chromium"; exit 1; \
	  fi; \
	fi

# report.html and compare.html in headless Chromium (screenshots in
# $(BUILD)/browser/).
browser-check: all browser-deps
	./tests/browser-check.py ./$(BUILD)/fleetsim $(BUILD)/browser

$(BUILD)/obj/%.o: %.c $(HEADERS) $(INT_HDRS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/libfleetsim.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/fleetsim: $(BUILD)/obj/sim/cli/main.o $(BUILD)/libfleetsim.a
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libfleetsim.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests -o $@ $< $(BUILD)/libfleetsim.a \
	  $(CMOCKA_LIBS) $(LDLIBS_ALL)

run: all
	@mkdir -p out
	./$(BUILD)/fleetsim run $(EXAMPLE) --out out/$(notdir $(basename $(EXAMPLE)))
	@echo "report: out/$(notdir $(basename $(EXAMPLE)))/report.html"

# Unit tests, then scenario tests, in the normal build.
unit: all $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do echo "== $$t"; \
	  FLEETSIM_TEST_DIR=tests ./$$t; done

scenario-tests: all browser-deps
	@missing=$$(for f in $$(find scenarios tests/scenarios -name '*.yaml'); do \
	  [ -s "$${f%.yaml}.digest" ] || echo "$$f"; done); \
	if [ -n "$$missing" ]; then echo "scenarios without a pinned fingerprint" \
	  "(fleetsim test --write-digests FILE):"; echo "$$missing"; exit 1; fi
	./$(BUILD)/fleetsim test tests/scenarios scenarios
	./tests/bad-inputs.sh ./$(BUILD)/fleetsim
	./tests/expect-names.sh ./$(BUILD)/fleetsim
	./tests/attack-matrix.sh ./$(BUILD)/fleetsim
	./tests/crypto-model-check.sh ./$(BUILD)/fleetsim
	./tests/cli-checks.sh ./$(BUILD)/fleetsim
	./tests/input-checks.sh ./$(BUILD)/fleetsim
	./tests/sweep-checks.sh ./$(BUILD)/fleetsim
	./tests/merge-checks.sh ./$(BUILD)/fleetsim
	./tests/threads-determinism.sh ./$(BUILD)/fleetsim
	./tests/sweep-chain.sh ./$(BUILD)/fleetsim parallel
	./tests/browser-check.py ./$(BUILD)/fleetsim $(BUILD)/browser

# A sweep submitted as a Slurm job array to munged, slurmctld and slurmd
# started from temporary files, then merged and checked as sweep-chain.sh
# does under GNU parallel.
test-slurm: all
	./tests/slurm-check.sh ./$(BUILD)/fleetsim

# The sanitizer pass builds a separate tree and runs the same suite there.
asan: deps
	$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g" \
	  EXTRA_CFLAGS="$(SAN_FLAGS)" EXTRA_LDFLAGS="$(SAN_FLAGS)" \
	  unit scenario-tests

test: deps
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory unit scenario-tests
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(MAKE) --no-print-directory asan
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=20
	$(MAKE) --no-print-directory tsan
	$(MAKE) --no-print-directory test-slurm
	@echo "all tests passed (normal build, ASan+UBSan build, fuzzers, TSan, Slurm sweep)"

# ThreadSanitizer on the crypto thread pool: a clang build in build-tsan
# runs every scenario with 4 threads (so with 3 workers) and the rollout
# bench; any data race report fails it.
TSAN_FLAGS := -fsanitize=thread
tsan: deps fuzz-deps
	$(MAKE) --no-print-directory BUILD=build-tsan CC=clang OPT="-O1 -g" \
	  EXTRA_CFLAGS="$(TSAN_FLAGS)" EXTRA_LDFLAGS="$(TSAN_FLAGS)" \
	  build-tsan/fleetsim
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" \
	  ./build-tsan/fleetsim test --threads 4 tests/scenarios scenarios
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" \
	  ./build-tsan/fleetsim bench rollout --devices 2000 --threads 4 >/dev/null

# libFuzzer targets (clang, ASan+UBSan): the library is built again with
# clang in $(FUZZ_BUILD); `make fuzz FUZZ_SECONDS=N` replays the kept
# crashers and runs each target N seconds (tests/fuzz/run.sh).
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := fuzz_scn fuzz_expect fuzz_units fuzz_trace fuzz_svc_msg \
                fuzz_dev_msg
FUZZ_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer

fuzz-deps:
	@if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n){return 0;}' | \
	  clang -x c -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "fleetsim: installing clang libclang-rt-dev (libFuzzer)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	     apt-get install -y -qq clang libclang-rt-dev) >/dev/null || exit 1; \
	  else echo "run: sudo apt-get install -y clang libclang-rt-dev"; exit 1; fi; \
	fi

fuzz-build: deps fuzz-deps
	$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang OPT="-O1 -g" \
	  WARN="-Wall" EXTRA_CFLAGS="-fsanitize=fuzzer-no-link $(FUZZ_FLAGS)" \
	  $(FUZZ_BUILD)/libfleetsim.a
	@for t in $(FUZZ_TARGETS); do \
	  clang -std=c11 -D_GNU_SOURCE -O1 -g -Iinclude $(PKG_CFLAGS) \
	    -fsanitize=fuzzer $(FUZZ_FLAGS) -o $(FUZZ_BUILD)/$$t \
	    tests/fuzz/$$t.c $(FUZZ_BUILD)/libfleetsim.a $(LDLIBS_ALL) || exit 1; \
	done

fuzz: all fuzz-build
	./tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) ./$(BUILD)/fleetsim

# The ns-3 hold model (tests/bench/ns3_hold.cc) is built only when Debian's
# libns3-dev is installed; its calendar scheduler is run at 100k pending
# because at 1M it takes minutes.
bench: all
	./$(BUILD)/fleetsim bench engine --pending 1000000 --events 5000000
	./$(BUILD)/fleetsim bench engine --pending 1000000 --events 5000000 --ids
	./$(BUILD)/fleetsim bench engine --pending 1000000 --events 5000000 --queue
	./$(BUILD)/fleetsim bench engine --pending 1000000 --events 5000000 --heap
	./$(BUILD)/fleetsim bench rollout --devices 10000
	@if [ -f /usr/include/ns3/core-module.h ]; then \
	  $(MAKE) --no-print-directory $(BUILD)/ns3-hold && \
	  for s in map heap priority; do \
	    ./$(BUILD)/ns3-hold --scheduler=$$s --pending=1000000 --events=5000000; \
	  done; \
	  ./$(BUILD)/ns3-hold --scheduler=calendar --pending=100000 --events=500000; \
	else echo "ns-3 not installed (apt-get install libns3-dev): skipping it"; fi

$(BUILD)/ns3-hold: tests/bench/ns3_hold.cc
	@mkdir -p $(dir $@)
	g++ -O2 -std=c++17 -o $@ $< -lns3-core

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/fleetsim $(DESTDIR)$(PREFIX)/bin/fleetsim

# Banned calls (C6, C9, C10), the include direction between folders, each
# public header compiled alone, and the format.
lint:
	@! grep -nE '\b(rand|srand|random|drand48|randombytes_buf|randombytes_random)\(' \
	  $(ALL_SRC) | grep -v '^sim/engine/rng.c' \
	  || (echo "banned random call"; exit 1)
	@! grep -nE '\b(time|clock|clock_gettime|gettimeofday|uv_now|uv_hrtime|localtime)\(' \
	  $(ALL_SRC) | grep -v -e '^sim/cli/main.c' -e '^sim/cli/bench' \
	  || (echo "banned clock call"; exit 1)
	@! grep -nE '\b(malloc|calloc|realloc|free)\(' $(ALL_SRC) \
	  | grep -v '^sim/engine/mem.c' \
	  || (echo "raw allocation"; exit 1)
	@./tests/lint/layers.sh
	@for h in $(HEADERS); do echo "#include \"$${h#include/}\"" | \
	  $(CC) -std=c11 -Iinclude $(PKG_CFLAGS) -fsyntax-only -x c - || exit 1; done
	@clang-format --dry-run --Werror $(ALL_SRC) $(INT_HDRS) $(HEADERS) \
	  tests/*.c tests/*.h tests/fuzz/*.c \
	  || (echo "not formatted: run make format"; exit 1)
	@echo "lint ok"

# Format every C file with the committed .clang-format.
format:
	clang-format -i $(ALL_SRC) $(INT_HDRS) $(HEADERS) tests/*.c tests/*.h \
	  tests/fuzz/*.c

check: lint test

clean:
	rm -rf build build-asan build-fuzz build-tsan out
