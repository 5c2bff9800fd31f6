# Berth build. `make` builds build/berthd and build/berth; `make test` installs
# what is missing, builds the release and the sanitizer builds and runs every
# test; `make run` builds and starts berthd in the foreground.

.DEFAULT_GOAL := all

PKGS     := libuv jansson libssl libcrypto raft libnl-route-3.0 libnl-xfrm-3.0 libnftables zlib
# libcurl's and libarchive's headers only: berthd dlopens libcurl on first
# download (see src/image/fetch.c), libarchive on first archive (see
# src/shared/archive_lib.c).
CURL_CFLAGS := $(shell pkg-config --cflags libcurl libarchive 2>/dev/null)
CC       ?= cc
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
GIT_COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BUILD_TIME := $(shell date -u +%Y-%m-%dT%H:%M:%S.000000000+00:00)
BASEFLAGS = -std=gnu11 $(WARN) -D_GNU_SOURCE -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(CURL_CFLAGS) \
            -DBERTH_GIT_COMMIT='"$(GIT_COMMIT)"' -DBERTH_BUILD_TIME='"$(BUILD_TIME)"'
LIBS     := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lhttp_parser -ldl
SANFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
PREFIX   ?= /usr/local

LIB_SRC  := $(filter-out src/daemon/main.c src/cli/main.c,\
              $(wildcard src/basic/*.c src/shared/*.c src/api/*.c src/engine/*.c \
                         src/storage/*.c src/image/*.c src/volume/*.c \
                         src/network/*.c src/swarm/*.c src/orchestrator/*.c src/daemon/*.c \
                         src/cli/*.c))
# berth-shim links only the basic layer: it is one process per container.
SHIM_SRC := $(wildcard src/shim/*.c src/basic/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
HDRS     := $(wildcard src/*/*.h)

# Two flavours share the rules: release in build/, ASan+UBSan in build/san/.
# -MMD writes each object's header dependencies beside it (included below), so
# a header change rebuilds only the objects that include it.
define flavour
$(1)/obj/%.o: src/%.c
	@mkdir -p $$(dir $$@)
	@echo "  CC $$@"
	@$$(CC) $$(BASEFLAGS) $(2) -MMD -MP -c $$< -o $$@

$(1)/libberth.a: $(patsubst src/%.c,$(1)/obj/%.o,$(LIB_SRC))
	@rm -f $$@
	@ar rcs $$@ $$^

$(1)/berthd: $(1)/obj/daemon/main.o $(1)/libberth.a
	$$(CC) $(2) -o $$@ $$^ $$(LIBS) $(3)

$(1)/berth: $(1)/obj/cli/main.o $(1)/libberth.a
	$$(CC) $(2) -o $$@ $$^ $$(LIBS) $(3)

# Static and without sanitizers: it runs inside containers of any libc.
$(1)/berth-init: src/init/main.c
	$$(CC) -std=gnu11 $(WARN) -O2 -static -o $$@ $$<

$(1)/tests/%: tests/unit/%.c $(1)/libberth.a $(HDRS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BASEFLAGS) $(2) -o $$@ $$< $(1)/libberth.a $$(LIBS) -lcmocka -lpthread $(3)
endef

# The sanitizer build loads libcurl and libarchive at start instead of at
# first use (dlopen then finds them loaded): their dependencies' thread-local
# storage (gnutls, p11-kit, com_err) is then static TLS. Opened later it is
# dynamic TLS, and LeakSanitizer's tracer (GCC 12) crashed on it at exit.
SANLINK := -Wl,--no-as-needed -l:libcurl.so.4 -l:libarchive.so.13 -Wl,--as-needed

$(eval $(call flavour,build,$(CFLAGS)))
$(eval $(call flavour,build/san,$(SANFLAGS),$(SANLINK)))

# One shim runs per container. Release: static against musl (Debian's
# musl-tools), 67 KB of code where static glibc brought 856 KB, so a running
# shim keeps 0.2 MB resident instead of 0.75 MB (1.4 MB linked dynamically).
# musl ships no kernel headers: build/musl/include points at the system's.
# The sanitizer build stays on glibc (ASan needs it).
MUSL_CC    := musl-gcc
MUSL_INC   := build/musl/include
MUSLFLAGS  := -std=gnu11 $(WARN) -D_GNU_SOURCE -Isrc -isystem $(MUSL_INC) -Os -g \
              -ffunction-sections -fdata-sections

$(MUSL_INC)/linux:
	@mkdir -p $(MUSL_INC)
	ln -sfn /usr/include/asm-generic $(MUSL_INC)/asm-generic
	ln -sfn /usr/include/$$($(CC) -print-multiarch)/asm $(MUSL_INC)/asm
	ln -sfn /usr/include/linux $@

build/musl/obj/%.o: src/%.c | $(MUSL_INC)/linux
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	@$(MUSL_CC) $(MUSLFLAGS) -MMD -MP -c $< -o $@

# zlib (the gelf driver's compression): Debian's static libz.a links with
# musl (its deflate objects need nothing of glibc's); its headers are put
# beside the kernel's.
MULTIARCH := $(shell $(CC) -print-multiarch)
$(MUSL_INC)/zlib.h: | $(MUSL_INC)/linux
	ln -sfn /usr/include/zlib.h $@
	ln -sfn /usr/include/zconf.h $(MUSL_INC)/zconf.h

build/musl/obj/shim/gelf.o: $(MUSL_INC)/zlib.h

build/berth-shim: $(patsubst src/%.c,build/musl/obj/%.o,$(SHIM_SRC))
	$(MUSL_CC) -static -Wl,--gc-sections -o $@ $^ /usr/lib/$(MULTIARCH)/libz.a

build/san/berth-shim: $(patsubst src/%.c,build/san/obj/%.o,$(SHIM_SRC))
	$(CC) $(SANFLAGS) -o $@ $^ -lz
-include $(shell find build -name '*.d' 2>/dev/null)

UNIT_BINS := $(patsubst tests/unit/%.c,build/san/tests/%,$(UNIT_SRC))

# libFuzzer targets (tests/fuzz/fuzz_*.c): clang with ASan+UBSan, the library
# instrumented for coverage in build/fuzz/. New inputs a run finds go to
# build/fuzz/corpus/<target>; the committed seeds in tests/fuzz/corpus/ are
# only read. `make fuzz` runs each target FUZZ_SECONDS; `make fuzz-smoke`
# runs each FUZZ_SMOKE_SECONDS (part of `make test`).
FUZZ_CC     ?= clang-14
# clang calls a variable kept only for its cleanup attribute unused; gcc's
# builds still catch truly unused ones.
FUZZFLAGS   := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer -Wno-unused-variable
FUZZ_SRC    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS   := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 10

build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC $@"
	@$(FUZZ_CC) $(BASEFLAGS) $(FUZZFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

# The daemon's code only: no target fuzzes the CLI.
build/fuzz/libberth.a: $(patsubst src/%.c,build/fuzz/obj/%.o,$(filter-out src/cli/%,$(LIB_SRC)))
	@rm -f $@
	@ar rcs $@ $^

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.c tests/fuzz/fuzz.h build/fuzz/libberth.a
	@echo "  LD $@"
	@$(FUZZ_CC) $(BASEFLAGS) $(FUZZFLAGS) -fsanitize=fuzzer -Itests/fuzz -o $@ $< \
	  tests/fuzz/fuzz.c build/fuzz/libberth.a $(LIBS)

.PHONY: all san deps run test unit integration cluster bench bench-sched install format clean \
        fuzz fuzz-build fuzz-smoke
all: build/berthd build/berth build/berth-shim build/berth-init

san: build/san/berthd build/san/berth build/san/berth-shim build/san/berth-init

deps:
	./scripts/install-deps.sh

# pkg-config runs when a make reads this file, so the build must be a new make
# started after deps has installed the -dev packages (a fresh machine has none).
run: deps
	$(MAKE) all
	./build/berthd $(ARGS)

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; \
	  ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 $$t; done

integration: all san
	./tests/integration/run.sh

# Swarm tests: one network namespace and berthd per node (needs root).
cluster: san
	./tests/cluster/run.sh

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@./tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

fuzz-smoke: fuzz-build
	@./tests/fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_BINS)

test: deps
	$(MAKE) all san
	$(MAKE) unit
	$(MAKE) fuzz-smoke
	$(MAKE) integration
	$(MAKE) cluster

# Scheduler micro-benchmark: the pure orchestrator, release flags, no daemon.
build/bench/%: bench/%.c build/libberth.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(BASEFLAGS) $(CFLAGS) -o $@ $< build/libberth.a $(LIBS)

bench-sched: build/bench/sched
	./build/bench/sched

bench: all bench-sched
	./bench/run.sh
	./bench/images.sh
	./bench/containers.sh
	./bench/network.sh
	./bench/swarm.sh
	./bench/services.sh
	./bench/swarm-services.sh
	./bench/swarm-net-dockerd.sh
	./bench/registry.sh
	./bench/build.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 build/berthd build/berth build/berth-shim build/berth-init $(DESTDIR)$(PREFIX)/bin/

format:
	clang-format -i $(wildcard src/*/*.c src/*/*.h bench/*.c tests/unit/*.c tests/fuzz/*.c tests/fuzz/*.h)

clean:
	rm -rf build
