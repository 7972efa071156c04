# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# xdpguard: `make` builds, `make test` runs every suite, `make demo` shows it
# working on a veth pair of its own, `make bench` measures it.
# Everything is built into .output/; `V=1` shows the commands.

# SAN=1 builds everything with AddressSanitizer and UBSan into .output-san.
ifeq ($(SAN),1)
OUTPUT := .output-san
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
else
OUTPUT := .output
endif
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= gcc
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

WARN := -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS ?= -g -O2
XG_CFLAGS := $(CFLAGS) $(SAN_FLAGS) $(WARN) -D_GNU_SOURCE -Iinclude -Iuser \
	-I$(OUTPUT)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-I. -Iinclude -Ibpf
LIBS := -lbpf -lelf -lz -linih -ljson-c -lmnl -lcap -lm -lmicrohttpd -lpcap \
	-lncursesw -lpthread
TEST_LIBS := -lcmocka

BPF_OBJ := $(OUTPUT)/xdpguard.bpf.o
SKEL := $(OUTPUT)/xdpguard.skel.h
USER_SRCS := $(filter-out user/main.c,$(wildcard user/*.c))
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
LIB := $(OUTPUT)/libxdpguard.a
BIN := $(OUTPUT)/xdpguard
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
PROG_SRCS := $(wildcard tests/prog/*.c)
PROG_BIN := $(OUTPUT)/tests/prog_test
IMPORT_BENCH := $(OUTPUT)/tests/import_bench
BENCH_SRCS := $(filter-out tests/bench/import_bench.c,$(wildcard tests/bench/*.c)) \
	tests/prog/frames.c
BENCH_BIN := $(OUTPUT)/tests/xg_bench
EXTRA_BPF := $(patsubst tests/bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(wildcard tests/bpf/*.bpf.c))
FUZZ_BIN := $(OUTPUT)/tests/fuzz_xdp
# Traffic generators the live tests run (tests/tools/*.c, one file each).
TOOL_BINS := $(patsubst tests/tools/%.c,$(OUTPUT)/tests/%,$(wildcard tests/tools/*.c))
FUZZ_SECONDS ?= 60

.PHONY: all deps test build-tests test-unit test-prog test-live demo bench fuzz clean \
	format vmlinux bench-import test-asan build-san test-valgrind
.DELETE_ON_ERROR:

all: $(BIN)

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(BPF_OBJ): bpf/xdpguard.bpf.c $(wildcard bpf/*.h) include/xdpguard.h \
		vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/%.bpf.o: tests/bpf/%.bpf.c vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(SKEL): $(BPF_OBJ)
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name xdpguard_bpf > $@

$(OUTPUT)/user/%.o: user/%.c $(wildcard user/*.h) include/xdpguard.h \
		$(SKEL) | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(XG_CFLAGS) -c $< -o $@

$(LIB): $(USER_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN): $(OUTPUT)/user/main.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(XG_CFLAGS) $^ $(LIBS) -o $@

$(OUTPUT)/tests/test_%: tests/unit/test_%.c $(LIB) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(XG_CFLAGS) $< $(LIB) $(TEST_LIBS) $(LIBS) -o $@

$(PROG_BIN): $(PROG_SRCS) $(wildcard tests/prog/*.h) $(SKEL) \
		| $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(XG_CFLAGS) $(PROG_SRCS) -lbpf -lelf -lz -o $@

$(IMPORT_BENCH): tests/bench/import_bench.c $(LIB) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(XG_CFLAGS) $< $(LIB) $(LIBS) -o $@
# libFuzzer needs clang; ASan and UBSan also watch the harness itself.
$(FUZZ_BIN): tests/fuzz/fuzz_xdp.c include/xdpguard.h $(SKEL) | $(OUTPUT)/tests
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined $(WARN) \
		-Iinclude -I$(OUTPUT) $< -lbpf -lelf -lz -o $@

$(OUTPUT)/tests/%: tests/tools/%.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -D_GNU_SOURCE $< -o $@
# The measuring half of `make bench`; never built or run by `make test`.
$(BENCH_BIN): $(BENCH_SRCS) $(wildcard tests/bench/*.h) $(LIB) $(SKEL) \
		| $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(XG_CFLAGS) -Itests/prog $(BENCH_SRCS) $(LIB) $(LIBS) -o $@

# Installs only what is missing (scripts/install-deps.sh is idempotent).
deps:
	$(Q)scripts/install-deps.sh

test: deps
	$(Q)$(MAKE) --no-print-directory build-tests
	$(Q)$(MAKE) --no-print-directory build-san
	$(Q)scripts/run-tests.sh

# The user space and its unit tests under ASan + UBSan (part of `make test`).
build-san:
	$(Q)$(MAKE) --no-print-directory SAN=1 $(patsubst $(OUTPUT)/%,.output-san/%,$(BIN) $(UNIT_BINS))

test-asan: deps
	$(Q)$(MAKE) --no-print-directory build-tests build-san
	$(Q)scripts/run-tests.sh asan

# The daemon's live tests with the daemon under valgrind (run once, slow).
test-valgrind: deps
	$(Q)$(MAKE) --no-print-directory build-tests
	$(Q)scripts/run-tests.sh valgrind

build-tests: $(BIN) $(UNIT_BINS) $(PROG_BIN) $(EXTRA_BPF) $(IMPORT_BENCH) \
	$(FUZZ_BIN) $(TOOL_BINS)

.PHONY: test-replay
test-unit test-prog test-live test-replay: deps
	$(Q)$(MAKE) --no-print-directory build-tests
	$(Q)scripts/run-tests.sh $(patsubst test-%,%,$@)

# The fuzzer alone, for FUZZ_SECONDS (a 10 s run is part of `make test`).
fuzz: deps
	$(Q)$(MAKE) --no-print-directory $(FUZZ_BIN)
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory $(BIN)
	$(Q)scripts/demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory build-tests $(BENCH_BIN)
	$(Q)scripts/bench.sh

# Blocklist import times and per-packet cost with prefixes loaded.
bench-import: deps
	$(Q)$(MAKE) --no-print-directory $(IMPORT_BENCH)
	$(Q)$(IMPORT_BENCH)

vmlinux:
	$(Q)scripts/gen-vmlinux.sh

format:
	$(Q)clang-format -i bpf/*.c bpf/*.h include/*.h user/*.c user/*.h \
		$(wildcard tests/unit/*.c tests/prog/*.c tests/prog/*.h \
		tests/bench/*.c)

clean:
	$(Q)rm -rf .output .output-san
