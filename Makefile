# picoacme - ACME client for embedded routers.
#   make            ./picoacme against Debian's libbearssl-dev and libjsmn-dev
#   make static     ./picoacme-static: stripped static musl binary, BearSSL from source
#   make test       unit tests (plain and ASan+UBSan) and end-to-end tests against Pebble
#   make demo       installs what is missing, builds, issues a certificate from a local Pebble
#   make lint       cppcheck and clang-tidy

SRCS    := util.c pem.c json.c jws.c key.c cert.c resolve.c trust.c http.c netproc.c store.c alpn.c responder.c dns01.c challenge.c acme.c ca.c issue.c renew.c
MAIN    := main.c
HDRS    := $(SRCS:.c=.h)
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla
# The build time is the earliest time a clock may read (renew's clock check).
BUILD_EPOCH := $(shell git log -1 --format=%ct 2>/dev/null || date +%s)
DEFS    := -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64 -DPICOACME_BUILD_EPOCH=$(BUILD_EPOCH)
LIBS    := -lbearssl
# Every build: stack canaries and stack-clash probes. The glibc build also
# fortified libc calls, PIE and full RELRO (musl's static builds have no
# dynamic linker to apply RELRO; they keep the canaries).
HARDEN  := -fstack-protector-strong -fstack-clash-protection
GLIBC_HARDEN := $(HARDEN) -D_FORTIFY_SOURCE=2 -fPIE
GLIBC_LDHARDEN := -pie -Wl,-z,relro,-z,now
BUILD   := build
BEARSSL_SRC := $(BUILD)/bearssl-src
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# Debian packages each target needs.
BUILD_PKGS := gcc make libbearssl-dev libjsmn-dev
TEST_PKGS  := $(BUILD_PKGS) pebble openssl ca-certificates python3 curl dpkg-dev strace procps busybox
STATIC_PKGS := dpkg-dev

.PHONY: all static test unit e2e demo deps deps-test deps-static deps-fuzz lint clean bench fuzz cross

all: picoacme

picoacme: $(SRCS) $(MAIN) $(HDRS) Makefile
	$(CC) $(WARN) $(DEFS) $(CFLAGS) $(GLIBC_HARDEN) -o $@ $(SRCS) $(MAIN) $(GLIBC_LDHARDEN) $(LIBS)

# Sanitizer and fuzz builds link a BearSSL compiled from source with the
# same instrumentation: a sanitizer does not see a write made inside an
# uninstrumented library (Debian's libbearssl), and BearSSL's parsers are
# where a server's bytes go first. One check is left out of BearSSL's own
# build: it encodes an RSA key's version as memcpy(dst, NULL, 0), undefined
# in C but harmless, on every RSA key it writes. -O2 for BearSSL's: the
# Wycheproof vectors spend their time in its big-number code (75 s at -O1,
# 52 s at -O2 under the sanitizers).
BEARSSL_SAN  := -fno-sanitize=nonnull-attribute
SAN_BEARSSL  := $(BEARSSL_SRC)/build-san/libbearssl.a
FUZZ_BEARSSL := $(BEARSSL_SRC)/build-fuzz/libbearssl.a
SAN_LIBS     := -I$(BEARSSL_SRC)/inc $(SAN_BEARSSL)

$(SAN_BEARSSL): $(BEARSSL_SRC)/.ready
	printf 'include conf/Unix.mk\nBUILD = build-san\nCC = $(CC)\nCFLAGS = -W -Wall -O2 -g $(SAN) $(BEARSSL_SAN)\nDLL = no\nTESTS = no\nTOOLS = no\n' \
		> $(BEARSSL_SRC)/conf/picoacme-san.mk
	$(MAKE) -C $(BEARSSL_SRC) CONF=picoacme-san lib >/dev/null

$(FUZZ_BEARSSL): $(BEARSSL_SRC)/.ready
	printf 'include conf/Unix.mk\nBUILD = build-fuzz\nCC = clang\nCFLAGS = -W -Wall -O1 -g -fsanitize=address,undefined,fuzzer-no-link $(BEARSSL_SAN)\nDLL = no\nTESTS = no\nTOOLS = no\n' \
		> $(BEARSSL_SRC)/conf/picoacme-fuzz.mk
	$(MAKE) -C $(BEARSSL_SRC) CONF=picoacme-fuzz lib >/dev/null

# Test builds: warnings are errors; one plain, one with sanitizers. Every
# sanitizer build (the test binary, unit tests, Wycheproof, the fuzz
# corpora's replays) links the same objects, compiled once.
SAN_OBJS := $(patsubst %.c,$(BUILD)/san/%.o,$(SRCS))

$(BUILD)/san/%.o: %.c $(HDRS) Makefile $(BEARSSL_SRC)/.ready
	@mkdir -p $(BUILD)/san
	$(CC) $(WARN) -Werror $(DEFS) -O1 -g $(SAN) $(HARDEN) -DPICOACME_TEST -I$(BEARSSL_SRC)/inc -c -o $@ $<

$(BUILD)/picoacme-test: $(SAN_OBJS) $(MAIN) $(HDRS) Makefile $(SAN_BEARSSL) | $(BUILD)
	$(CC) $(WARN) -Werror $(DEFS) -O1 -g $(SAN) $(HARDEN) -DPICOACME_TEST -o $@ $(MAIN) $(SAN_OBJS) $(SAN_LIBS)

$(BUILD)/unit: $(SRCS) $(HDRS) test/unit.c Makefile | $(BUILD)
	$(CC) $(WARN) -Werror $(DEFS) -O2 -g $(GLIBC_HARDEN) -DPICOACME_TEST -I. -o $@ $(SRCS) test/unit.c \
		$(GLIBC_LDHARDEN) $(LIBS)

$(BUILD)/unit-san: $(SAN_OBJS) $(HDRS) test/unit.c Makefile $(SAN_BEARSSL) | $(BUILD)
	$(CC) $(WARN) -Werror $(DEFS) -O1 -g $(SAN) $(HARDEN) -DPICOACME_TEST -I. -o $@ test/unit.c $(SAN_OBJS) $(SAN_LIBS)

# Wycheproof's signature vectors (Debian sid's package, unpacked in build/)
# through the verifiers of the TLS engine and X.509 validation.
WYCHEPROOF := $(BUILD)/golang-github-c2sp-wycheproof-dev-sid/usr/share/gocode/src/github.com/c2sp/wycheproof/testvectors_v1
$(BUILD)/wycheproof: $(SAN_OBJS) $(HDRS) test/wycheproof.c Makefile $(SAN_BEARSSL) | $(BUILD)
	$(CC) $(WARN) -Werror $(DEFS) -O1 -g $(SAN) -I. -o $@ test/wycheproof.c $(SAN_OBJS) $(SAN_LIBS)

$(BUILD)/wycheproof.txt: test/wycheproof.py | $(BUILD)
	test/fetch-sid.sh $(BUILD) golang-github-c2sp-wycheproof-dev >/dev/null
	python3 test/wycheproof.py $(WYCHEPROOF) >$@.tmp && mv $@.tmp $@

$(BUILD):
	mkdir -p $@

# ---- fuzzing ----
# Every parser has a target in fuzz/. `make fuzz` runs each under libFuzzer
# (clang) for FUZZ_SECONDS; `make test` replays the committed corpora through
# gcc ASan+UBSan builds of the same targets.
FUZZ_TARGETS := json http pem dns x509 tls alpn settings keys netproc responder
FUZZ_SECONDS ?= 60

$(BUILD)/fuzz-%-replay: fuzz/%.c fuzz/driver.c fuzz/fuzz.h $(SAN_OBJS) $(HDRS) $(SAN_BEARSSL) | $(BUILD)
	$(CC) $(WARN) -Werror $(DEFS) -O1 -g $(SAN) -o $@ fuzz/$*.c fuzz/driver.c $(SAN_OBJS) $(SAN_LIBS)

$(BUILD)/fuzz-%: fuzz/%.c fuzz/fuzz.h $(SRCS) $(HDRS) $(FUZZ_BEARSSL) | $(BUILD)
	clang $(WARN) $(DEFS) -O1 -g -fsanitize=fuzzer,address,undefined -o $@ fuzz/$*.c $(SRCS) \
		-I$(BEARSSL_SRC)/inc $(FUZZ_BEARSSL)

fuzz: deps-fuzz $(addprefix $(BUILD)/fuzz-,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(BUILD)/fuzz-corpus/$$t; \
		echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; \
		$(BUILD)/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 \
			$(BUILD)/fuzz-corpus/$$t fuzz/corpus/$$t >$(BUILD)/fuzz-$$t.log 2>&1; \
		rc=$$?; grep -E '^(stat::number_of_executed_units|Done )' $(BUILD)/fuzz-$$t.log; \
		if [ $$rc != 0 ]; then tail -40 $(BUILD)/fuzz-$$t.log; echo "fuzz $$t: FAILED"; exit 1; fi; \
	done

# ---- Debian packages ----
# Installs what is missing when run as root; otherwise names what to install.
define need_pkgs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
		else \
			echo "missing Debian packages:$$missing"; echo "run: sudo apt-get install$$missing"; exit 1; \
		fi; \
	fi
endef

deps:
	$(call need_pkgs,$(BUILD_PKGS))
deps-test:
	$(call need_pkgs,$(TEST_PKGS))
deps-static:
	$(call need_pkgs,$(BUILD_PKGS) $(STATIC_PKGS))
deps-fuzz:
	$(call need_pkgs,$(BUILD_PKGS) clang libclang-rt-14-dev dpkg-dev)

# ---- static musl build ----
MUSL_INC    := $(BUILD)/musl-include
# -flto here and in BearSSL's static library: one program, 5 KiB less than
# separate -Os objects; -Oz another 1.8 KiB.
STATIC_CFLAGS := -Oz -flto=auto -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
		 -fno-unwind-tables $(HARDEN)
# norelro: musl applies RELRO only in its dynamic linker, so in a static
# binary the page-aligned RELRO padding is up to 4 KiB of nothing. (The
# padding ld still adds before the data segment is kept: removing it with
# -z common-page-size=16 saves 1.1 KiB of zeros, nothing once squashfs has
# compressed them, and costs 8-12 KiB of VmHWM.)
STATIC_LDFLAGS := -static -Wl,--gc-sections -Wl,-z,noseparate-code -Wl,-z,norelro -s

$(BEARSSL_SRC)/.ready:
	test/fetch-src.sh $(BUILD) bearssl

$(MUSL_INC)/jsmn.h: | $(BUILD)
	mkdir -p $(MUSL_INC)
	cp /usr/include/jsmn.h $@

# picoacme's own code only (BearSSL's objects keep their options through
# LTO): loop-invariant motion buys nothing in its short parsing loops and
# costs 0.4 KiB. The .comment section (compiler versions) is 136 bytes of
# nothing at run time. x86: integer registers only, no SSE moves for struct
# copies (nothing here uses floating point; the build fails if it does),
# 0.3 KiB.
# -fno-pie: the static binary is a fixed-address executable (-static, not
# -static-pie) either way; code made position-independent for it is 1 KiB
# larger and its const pointer tables land in the writable segment.
# The rest trade speed the parser and the option code never needed for
# size (x86_64 -1.1 KiB together; BearSSL's functions keep their code): no
# lookup tables or jump tables for switches, calls kept as calls, no merged
# tails, no if-conversion, no caller-saved spilling around calls, no
# "expensive" passes; -fipa-pta lets the linker-time optimiser drop more.
OWN_STATIC_CFLAGS := -fno-move-loop-invariants -fno-pie -fno-tree-switch-conversion -fno-jump-tables \
		     -fno-optimize-sibling-calls -fno-tree-tail-merge -fno-if-conversion -fno-caller-saves \
		     -fno-expensive-optimizations -fipa-pta

# musl itself as the router builds have it (and OpenWrt's toolchain makes
# it): built from Debian's musl source for size (-Os), 5.4 KiB less than
# Debian's musl-tools build of the same release.
STATIC_MUSL := $(BUILD)/musl-x86_64/bin/musl-gcc
STATIC_BEARSSL := $(BEARSSL_SRC)/build-musl-oz-x86_64/libbearssl.a

picoacme-static: deps-static $(SRCS) $(MAIN) $(HDRS) Makefile $(STATIC_MUSL) $(STATIC_BEARSSL) $(MUSL_INC)/jsmn.h
	$(STATIC_MUSL) $(WARN) $(DEFS) $(STATIC_CFLAGS) $(OWN_STATIC_CFLAGS) -mgeneral-regs-only \
		-I$(BEARSSL_SRC)/inc -I$(MUSL_INC) \
		$(STATIC_LDFLAGS) -o $@ $(SRCS) $(MAIN) $(STATIC_BEARSSL)
	objcopy -R .comment $@
	@echo "picoacme-static: $$(stat -c %s $@) bytes"

static: picoacme-static

# ---- router architectures ----
# make cross ARCH=mips|mipsel|arm|aarch64: static ./picoacme-$(ARCH) as a router runs
# it: musl built for the target from Debian's musl source, BearSSL from
# Debian's source, Debian's cross compiler, the same flags as
# picoacme-static. The unit tests run under qemu-user.
ARCH ?= mips
CROSS_x86_64 := x86_64-linux-gnu
CROSS_mips   := mips-linux-gnu
CROSS_mipsel := mipsel-linux-gnu
CROSS_arm    := arm-linux-gnueabihf
CROSS_aarch64 := aarch64-linux-gnu
QEMU_mips    := qemu-mips
QEMU_mipsel  := qemu-mipsel
QEMU_arm     := qemu-arm
QEMU_aarch64 := qemu-aarch64
CROSS        := $(CROSS_$(ARCH))
CROSS_INC    := $(BUILD)/cross-include
MUSL_SRC     := $(BUILD)/musl-src

$(MUSL_SRC)/.ready:
	test/fetch-src.sh $(BUILD) musl

# musl's own gcc wrapper, calling the cross compiler it was configured with.
$(BUILD)/musl-%/bin/musl-gcc: $(MUSL_SRC)/.ready
	rm -rf $(BUILD)/musl-build-$* $(BUILD)/musl-$*
	mkdir -p $(BUILD)/musl-build-$*
	cd $(BUILD)/musl-build-$* && $(abspath $(MUSL_SRC))/configure --target=$(CROSS_$*) \
		CROSS_COMPILE=$(CROSS_$*)- CFLAGS=-Os --prefix=$(abspath $(BUILD))/musl-$* \
		--disable-shared --enable-wrapper=gcc >/dev/null
	$(MAKE) -C $(BUILD)/musl-build-$* install >$(BUILD)/musl-build-$*.log 2>&1 || \
		{ tail -20 $(BUILD)/musl-build-$*.log; exit 1; }

$(BEARSSL_SRC)/build-musl-oz-%/libbearssl.a: $(BEARSSL_SRC)/.ready $(BUILD)/musl-%/bin/musl-gcc
	printf 'include conf/Unix.mk\nBUILD = build-musl-oz-$*\nCC = $(abspath $(BUILD))/musl-$*/bin/musl-gcc\nCFLAGS = -W -Wall $(STATIC_CFLAGS) -fPIC\nLD = $$(CC)\nLDDLL = $$(CC)\nAR = $(CROSS_$*)-gcc-ar\nDLL = no\nTESTS = no\nTOOLS = no\n' \
		> $(BEARSSL_SRC)/conf/picoacme-musl-$*.mk
	$(MAKE) -C $(BEARSSL_SRC) CONF=picoacme-musl-$* lib >/dev/null

$(CROSS_INC)/jsmn.h: | $(BUILD)
	mkdir -p $(CROSS_INC)
	cp /usr/include/jsmn.h $@

# Named as prerequisites, not only chained: make would delete them as
# intermediate files after the first build that created them.
.PRECIOUS: $(BUILD)/musl-%/bin/musl-gcc $(BEARSSL_SRC)/build-musl-oz-%/libbearssl.a

picoacme-mips picoacme-mipsel picoacme-arm picoacme-aarch64: picoacme-%: $(SRCS) $(MAIN) $(HDRS) Makefile $(BUILD)/musl-%/bin/musl-gcc $(BEARSSL_SRC)/build-musl-oz-%/libbearssl.a $(CROSS_INC)/jsmn.h
	$(BUILD)/musl-$*/bin/musl-gcc $(WARN) $(DEFS) $(STATIC_CFLAGS) $(OWN_STATIC_CFLAGS) \
		-I$(BEARSSL_SRC)/inc -I$(CROSS_INC) \
		$(STATIC_LDFLAGS) -o $@ $(SRCS) $(MAIN) $(BEARSSL_SRC)/build-musl-oz-$*/libbearssl.a
	$(CROSS_$*)-objcopy -R .comment $@
	@echo "$@: $$(stat -c %s $@) bytes"

$(BUILD)/unit-%: $(SRCS) $(HDRS) test/unit.c Makefile $(BUILD)/musl-%/bin/musl-gcc $(BEARSSL_SRC)/build-musl-oz-%/libbearssl.a $(CROSS_INC)/jsmn.h
	$(BUILD)/musl-$*/bin/musl-gcc $(WARN) -Werror $(DEFS) -DPICOACME_TEST -O1 -g -I. -I$(BEARSSL_SRC)/inc \
		-I$(CROSS_INC) -static -o $@ $(SRCS) test/unit.c $(BEARSSL_SRC)/build-musl-oz-$*/libbearssl.a

cross: deps-static
	$(call need_pkgs,gcc-$(CROSS) qemu-user)
	$(MAKE) picoacme-$(ARCH) $(BUILD)/unit-$(ARCH)
	$(QEMU_$(ARCH)) $(BUILD)/unit-$(ARCH)

# ---- tests ----
# Built on every core: the sanitizer and fuzz builds are a third of the
# suite's time otherwise.
test: deps-test
	@$(MAKE) --no-print-directory -j$$(nproc) $(BUILD)/unit $(BUILD)/unit-san $(BUILD)/picoacme-test picoacme \
		$(BUILD)/wycheproof $(BUILD)/wycheproof.txt \
		$(addprefix $(BUILD)/fuzz-,$(addsuffix -replay,$(FUZZ_TARGETS)))
	@FUZZ_TARGETS="$(FUZZ_TARGETS)" test/run.sh

unit: $(BUILD)/unit $(BUILD)/unit-san
	$(BUILD)/unit && $(BUILD)/unit-san

demo: deps-test picoacme
	test/demo.sh

# A benchmark, never a test: prints a markdown table (see README.md).
$(BUILD)/vmhwm: test/vmhwm.c | $(BUILD)
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 -o $@ $<

# picoacme-static but for the seccomp filter, which valgrind's own system
# calls would break, and with each forked child's count starting at zero
# (valgrind's headers, copied: musl-gcc leaves /usr/include out): what
# bench counts instructions of.
$(BUILD)/picoacme-callgrind: picoacme-static
	mkdir -p $(BUILD)/valgrind-include/valgrind
	cp /usr/include/valgrind/callgrind.h /usr/include/valgrind/valgrind.h $(BUILD)/valgrind-include/valgrind/
	$(STATIC_MUSL) $(WARN) $(DEFS) $(STATIC_CFLAGS) $(OWN_STATIC_CFLAGS) -mgeneral-regs-only -DPICOACME_CALLGRIND \
		-I$(BEARSSL_SRC)/inc -I$(MUSL_INC) -I$(BUILD)/valgrind-include \
		$(STATIC_LDFLAGS) -o $@ $(SRCS) $(MAIN) $(STATIC_BEARSSL)

bench: picoacme-static $(BUILD)/vmhwm $(BUILD)/picoacme-callgrind
	$(call need_pkgs,pebble openssl curl python3 uacme lego time xz-utils util-linux strace valgrind)
	test/bench.sh

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--std=c11 --inline-suppr -D_GNU_SOURCE --suppress=missingIncludeSystem $(SRCS) $(MAIN)
	clang-tidy --quiet $(SRCS) $(MAIN) -- $(WARN) $(DEFS) 2>/dev/null
	shellcheck -s sh openwrt/files/hook openwrt/files/picoacme-dnsapi openwrt/files/ntp-hotplug \
		test/dns-hook.sh test/openwrt/dns_pebble.sh test/openwrt/dns_helpers.sh test/vm-init.sh \
		test/audit-arch.sh

clean:
	rm -rf $(BUILD) picoacme picoacme-static picoacme-mips picoacme-mipsel picoacme-arm picoacme-aarch64 test/tmp
