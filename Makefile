# SPDX-License-Identifier: GPL-2.0-or-later
#
# Everything generated lands under $(OUTPUT). `make SANITIZE=1` builds an
# ASan+UBSan variant under build/asan.

VERSION := 0.1.0

ifeq ($(FUZZ),1)
# libFuzzer: the library instrumented for coverage, the harnesses linked with the fuzzer
OUTPUT ?= build/fuzz
CC := clang
SAN_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Wno-unknown-warning-option -Wno-format-nonliteral \
	-Wno-missing-field-initializers
else ifeq ($(SANITIZE),1)
OUTPUT ?= build/asan
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
OUTPUT ?= build
SAN_FLAGS :=
endif

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR := $(PREFIX)/bin
SBINDIR := $(PREFIX)/sbin

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

ARCH := $(shell uname -m)
BPF_ARCH := $(subst x86_64,x86,$(subst aarch64,arm64,$(ARCH)))

GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)

PKGS := libbpf libelf zlib libnl-3.0 libnl-route-3.0 libseccomp libcryptsetup libmnl \
	libkmod json-c libnftables libnftnl libmicrohttpd sqlite3 libsodium gnutls
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS))
CHECK_LIBS := $(shell $(PKG_CONFIG) --libs check)

WARN_FLAGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
	-Wstrict-prototypes -Wno-unused-parameter -Wno-format-truncation
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(CFLAGS) $(WARN_FLAGS) $(SAN_FLAGS) -D_GNU_SOURCE \
	-DVIGIL_VERSION='"$(VERSION)"' -DVIGIL_GIT_COMMIT='"$(GIT_COMMIT)"' \
	-DVIGIL_LIBCRYPTSETUP_VERSION='"$(shell $(PKG_CONFIG) --modversion libcryptsetup)"' \
	-Iagent/lib -Iagent/cli -Ikmod-helpers -Ibpf -Itests/support -I$(OUTPUT)/include $(PKG_CFLAGS)
ALL_LDFLAGS := $(LDFLAGS) $(SAN_FLAGS)
LDLIBS := $(PKG_LIBS) -ldl

# vmlinux.h: the committed copy, so a build is the same on every build host
# (CO-RE relocates field offsets at load time); `make VMLINUX_BTF=FILE`
# generates it from that BTF instead, `make vmlinux-update` refreshes the copy.
VMLINUX_BTF ?=
VMLINUX_COMMITTED := bpf/vmlinux/$(ARCH)/vmlinux.h
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(BPF_ARCH) -Wall -Werror

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/include/%.skel.h,$(BPF_SRCS))
BPF_COMPAT_DIR := $(OUTPUT)/bpf-compat
BPF_COMPAT_OBJS := $(patsubst bpf/%.bpf.c,$(BPF_COMPAT_DIR)/%.bpf.o,$(BPF_SRCS))

LIB_SRCS := $(wildcard agent/lib/*.c) $(wildcard kmod-helpers/*.c)
CLI_SRCS := $(filter-out agent/cli/main.c,$(wildcard agent/cli/*.c))
DAEMON_SRCS := $(wildcard agent/daemon/*.c)

obj = $(patsubst %.c,$(OUTPUT)/obj/%.o,$(1))
LIB_OBJS := $(call obj,$(LIB_SRCS))
CLI_OBJS := $(call obj,$(CLI_SRCS))
DAEMON_OBJS := $(call obj,$(DAEMON_SRCS))

LIBVIGIL := $(OUTPUT)/libvigil.a
LIBVIGIL_CLI := $(OUTPUT)/libvigil-cli.a
VIGIL := $(OUTPUT)/vigil
VIGILD := $(OUTPUT)/vigild

UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(wildcard tests/unit/check_*.c))
PRIV_TESTS := $(patsubst tests/priv/%.c,$(OUTPUT)/tests/%,$(wildcard tests/priv/check_*.c))
BENCHES := $(patsubst tests/bench/%.c,$(OUTPUT)/bench/%,$(wildcard tests/bench/bench_*.c))
# testutil (sh(), require_root()) brings Check along
BENCH_SUPPORT_OBJS := $(call obj,$(filter-out tests/bench/bench_%.c,$(wildcard tests/bench/*.c)) \
	tests/support/testutil.c)
TEST_SUPPORT_OBJS := $(call obj,$(wildcard tests/support/*.c))
FUZZERS := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
# seconds each harness runs in `make fuzz`
FUZZ_SECONDS ?= 60

# The microVM the tests boot (scripts/guest/build-microvm.sh): shared by both builds.
GUEST_DIR := build/guest
# The guest lane: the privileged suites that run inside Debian 12's kernel
# with pure cgroup v2 (README, "Where the tests run").
GUEST_LANE_DIR := $(OUTPUT)/guest-lane
GUEST_SUITES := check_vigild_limits check_vigild_jail check_meter_cpu check_meter_memory \
	check_meter_disk check_meter_net check_nft check_tap check_workload check_vigild \
	check_feature_probe check_usage_cli check_vigild_net check_vigild_ledger check_volume_dm \
	check_vigild_volume
# Benchmarks that need the guest's kernel (device-mapper): `make bench-guest`
# boots a lane with them instead of the suites; never part of `make check`.
GUEST_BENCHES := bench_volume
GUEST_BENCH_DIR := $(OUTPUT)/guest-bench

.PHONY: all tests check check-unit check-priv check-guest bench bench-guest demo guest install uninstall \
	clean format format-check vmlinux-update bpf-compat fuzz fuzz-run torture
.DELETE_ON_ERROR:
# objects that only pattern rules name are intermediate to make: kept, or every
# `make tests` deletes and rebuilds them
.SECONDARY: $(BPF_OBJS) $(BPF_COMPAT_OBJS) $(BENCH_SUPPORT_OBJS) \
	$(call obj,$(wildcard tests/fuzz/fuzz_*.c) $(wildcard tests/unit/*.c tests/priv/*.c \
	tests/bench/bench_*.c))

all: $(SKELS) $(VIGIL) $(VIGILD)

$(OUTPUT)/include/vmlinux.h: $(VMLINUX_COMMITTED) | $(OUTPUT)/include
ifneq ($(VMLINUX_BTF),)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp 2>/dev/null \
		&& mv $@.tmp $@ || { rm -f $@.tmp; cp $(VMLINUX_COMMITTED) $@; }
else
	$(call msg,CP,$@)
	$(Q)cp $(VMLINUX_COMMITTED) $@
endif

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(OUTPUT)/include/vmlinux.h $(wildcard bpf/*.h) | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -I$(OUTPUT)/include -Ibpf -c $< -o $@

# The same objects compiled against the guest lane's kernel (Debian 12, 6.1)
# as well: a flavor or CO-RE guard that only one kernel's types satisfy fails
# here. CI builds both; check_bpf_objects loads these on each kernel it runs on.
$(BPF_COMPAT_DIR)/include/vmlinux.h: scripts/guest/kernel-btf.sh scripts/guest/kernel.sh
	$(call msg,GEN,$@)
	$(Q)scripts/guest/kernel-btf.sh $@ >/dev/null

$(BPF_COMPAT_DIR)/%.bpf.o: bpf/%.bpf.c $(BPF_COMPAT_DIR)/include/vmlinux.h $(wildcard bpf/*.h)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -I$(BPF_COMPAT_DIR)/include -Ibpf -c $< -o $@

bpf-compat: $(BPF_COMPAT_OBJS)

# the objects check_feature_probe loads: the build's own and the compat ones
BPF_OBJECT_DIRS := $(abspath $(OUTPUT)/bpf) $(abspath $(BPF_COMPAT_DIR))

$(OUTPUT)/include/%.skel.h: $(OUTPUT)/bpf/%.bpf.o | $(OUTPUT)/include
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name vigil_$(subst -,_,$*)_bpf > $@

$(OUTPUT)/obj/%.o: %.c $(SKELS) | $(OUTPUT)/obj
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIBVIGIL): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBVIGIL_CLI): $(CLI_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(VIGIL): $(call obj,agent/cli/main.c) $(LIBVIGIL_CLI) $(LIBVIGIL)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LDLIBS) -o $@

$(VIGILD): $(DAEMON_OBJS) $(LIBVIGIL)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests/%: $(OUTPUT)/obj/tests/unit/%.o $(TEST_SUPPORT_OBJS) $(LIBVIGIL_CLI) $(LIBVIGIL)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LDLIBS) $(CHECK_LIBS) -o $@

$(OUTPUT)/tests/%: $(OUTPUT)/obj/tests/priv/%.o $(TEST_SUPPORT_OBJS) $(LIBVIGIL_CLI) $(LIBVIGIL)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LDLIBS) $(CHECK_LIBS) -o $@

$(OUTPUT)/bench/%: $(OUTPUT)/obj/tests/bench/%.o $(BENCH_SUPPORT_OBJS) $(LIBVIGIL_CLI) $(LIBVIGIL)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(LDLIBS) $(CHECK_LIBS) -o $@

$(OUTPUT)/fuzz/%: $(OUTPUT)/obj/tests/fuzz/%.o $(LIBVIGIL)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer $^ $(LDLIBS) -o $@

$(OUTPUT)/include $(OUTPUT)/bpf $(OUTPUT)/obj:
	$(Q)mkdir -p $@

tests: all bpf-compat $(UNIT_TESTS) $(PRIV_TESTS)

guest: $(GUEST_DIR)/stamp

$(GUEST_DIR)/stamp: scripts/guest/build-microvm.sh scripts/guest/init scripts/guest/serve \
		scripts/guest/kernel.sh
	$(call msg,GUEST,$(GUEST_DIR))
	$(Q)scripts/guest/build-microvm.sh $(GUEST_DIR)

# The whole suite: unit and privileged tests of this build, ending in
# "N passed, N failed, N skipped".
check: tests guest
	$(Q)VIGIL=$(abspath $(VIGIL)) VIGILD=$(abspath $(VIGILD)) \
		VIGIL_GUEST_DIR=$(abspath $(GUEST_DIR)) VIGIL_BPF_OBJECT_DIRS="$(BPF_OBJECT_DIRS)" \
		VIGIL_EXAMPLES_DIR=$(abspath deploy/examples) \
		tests/run-suites.sh $(UNIT_TESTS) $(PRIV_TESTS)

# The guest lane: the suites above inside a microVM of Debian 12's kernel.
check-guest: tests
	$(call msg,GUEST,$(GUEST_LANE_DIR))
	$(Q)scripts/guest/build-lane.sh $(GUEST_LANE_DIR) $(OUTPUT) $(GUEST_SUITES)
	$(Q)scripts/guest/run-lane.sh $(GUEST_LANE_DIR)

check-unit: tests
	$(Q)VIGIL=$(abspath $(VIGIL)) tests/run-suites.sh $(UNIT_TESTS)

check-priv: tests guest
	$(Q)VIGIL=$(abspath $(VIGIL)) VIGILD=$(abspath $(VIGILD)) \
		VIGIL_GUEST_DIR=$(abspath $(GUEST_DIR)) VIGIL_BPF_OBJECT_DIRS="$(BPF_OBJECT_DIRS)" \
		VIGIL_EXAMPLES_DIR=$(abspath deploy/examples) \
		tests/run-suites.sh $(PRIV_TESTS)

# The fault matrix in full (tests/priv/check_vigild_torture.c): vigild killed
# at every step of every operation in every network mode, VIGIL_TORTURE_ROUNDS
# times, then VIGIL_TORTURE_KILLS kill -9s at random under three clients;
# `make check` runs one pass of each step.
torture: tests
	$(Q)VIGIL=$(abspath $(VIGIL)) VIGILD=$(abspath $(VIGILD)) VIGIL_TORTURE=full \
		tests/run-suites.sh $(OUTPUT)/tests/check_vigild_torture

# Each libFuzzer harness of tests/fuzz/ for FUZZ_SECONDS from its seed corpus,
# after its regression inputs (what it once found); ends "fuzz: N passed, N failed".
fuzz:
	$(Q)$(MAKE) --no-print-directory FUZZ=1 fuzz-run

fuzz-run: $(FUZZERS)
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(OUTPUT) $(FUZZERS)

bench: all $(BENCHES)
	$(Q)VIGIL=$(abspath $(VIGIL)) VIGILD=$(abspath $(VIGILD)) scripts/bench.sh $(BENCHES)

bench-guest: tests $(BENCHES)
	$(call msg,GUEST,$(GUEST_BENCH_DIR))
	$(Q)LANE_BENCHES="$(GUEST_BENCHES)" scripts/guest/build-lane.sh $(GUEST_BENCH_DIR) $(OUTPUT)
	$(Q)scripts/guest/run-lane.sh $(GUEST_BENCH_DIR)

demo:
	$(Q)scripts/demo.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR)
	install -m 0755 $(VIGIL) $(DESTDIR)$(BINDIR)/vigil
	install -m 0755 $(VIGILD) $(DESTDIR)$(SBINDIR)/vigild

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/vigil $(DESTDIR)$(SBINDIR)/vigild

FORMAT_SRCS := $(wildcard agent/*/*.[ch] kmod-helpers/*.[ch] bpf/*.bpf.c tests/*/*.[ch])

format:
	clang-format -i $(FORMAT_SRCS)

format-check:
	$(Q)clang-format --dry-run --Werror $(FORMAT_SRCS) && echo "format: clean"

# Refresh the committed fallback from this machine's kernel.
vmlinux-update:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX_COMMITTED)

clean:
	rm -rf build

-include $(shell find $(OUTPUT)/obj -name '*.d' 2>/dev/null)
