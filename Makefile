# benchgate — build, test, demo.
#
#   make          build build/benchgate, the module library and the corpora
#   make test     unit and end-to-end tests, plain and under ASan+UBSan
#   make demo     build, calibrate briefly, run the demo
#   make eval     long evaluations (not part of CI)
#   make deps     install missing Debian packages (root) or print the command
#
# Library flags come from pkg-config, evaluated lazily so `make deps` can run
# on a machine that does not have the libraries yet.

PKGS     := gsl hwloc libgit2 libcjson libcrypto
CC       ?= cc
CFLAGS   ?= -O2 -g
SAN      ?=
BUILD    ?= build
PREFIX   ?= /usr/local

WARN     := -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE
# The dependency direction, enforced: each folder sees only the headers it
# may use (a wrong-way include fails to compile). Tests and eval see all.
INCS     := -Icommon -Isampler -Istats -Iguards -Istate -Iloop -Icli
INCS_common  := -Icommon
INCS_stats   := -Icommon -Istats
INCS_sampler := -Icommon -Isampler
INCS_guards  := -Icommon -Isampler -Istats -Iguards
INCS_state   := -Icommon -Istate
INCS_loop    := -Icommon -Isampler -Istats -Iguards -Istate -Iloop
INCS_cli     := $(INCS)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS)) -lm
CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka)
CMOCKA_LIBS   = $(shell pkg-config --libs cmocka)

ifeq ($(SAN),1)
override BUILD := $(BUILD)/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif

ALL_CFLAGS = $(WARN) $(INCS) $(PKG_CFLAGS) $(CFLAGS) $(SANFLAGS) -MMD -MP

LIB_SRC  := $(wildcard common/*.c sampler/*.c stats/*.c guards/*.c state/*.c loop/*.c) \
            $(filter-out cli/main.c,$(wildcard cli/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ := $(BUILD)/obj/cli/main.o
LIB      := $(BUILD)/libbenchgate.a
BIN      := $(BUILD)/benchgate

TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_SUPPORT := $(wildcard tests/support/*.c)
TEST_DEFS = -DBG_TEST_BIN='"$(CURDIR)/$(BIN)"' \
            -DBG_TEST_CORPORA='"$(CURDIR)/build/corpora"' \
            -DBG_TEST_FIXTURES='"$(CURDIR)/tests/fixtures"' \
            -DBG_TEST_SRCDIR='"$(CURDIR)"'

# Calibration workloads: always built plain (they are what gets measured).
CORPORA_SRC := $(wildcard corpora/calib/bg-*.c)
CORPORA_BIN := $(CORPORA_SRC:corpora/calib/%.c=build/corpora/%)
CORPORA_COMMON := $(wildcard corpora/calib/common.c corpora/calib/common.h)

.PHONY: all test check built demo eval deps clean install corpora unused libs
.DELETE_ON_ERROR:

all: $(BIN) $(LIB) corpora

corpora: $(CORPORA_BIN)

build/corpora/%: corpora/calib/%.c $(CORPORA_COMMON)
	@mkdir -p $(@D)
	$(CC) -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -O2 -o $@.tmp $< $(filter %.c,$(CORPORA_COMMON)) -lm
	mv -f $@.tmp $@

# libs: the libraries pkg-config must find before anything compiles; a
# missing one stops the build with its name and the fix.
libs:
	@missing=""; for p in $(PKGS); do pkg-config --exists $$p 2>/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "benchgate: pkg-config cannot find:$$missing; run 'make deps' (as root it installs the Debian packages, otherwise it prints the apt-get command)" >&2; \
		exit 1; fi

$(BUILD)/obj/%.o: %.c | libs
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/obj/common/%.o: INCS = $(INCS_common)
$(BUILD)/obj/stats/%.o: INCS = $(INCS_stats)
$(BUILD)/obj/sampler/%.o: INCS = $(INCS_sampler)
$(BUILD)/obj/guards/%.o: INCS = $(INCS_guards)
$(BUILD)/obj/state/%.o: INCS = $(INCS_state)
$(BUILD)/obj/loop/%.o: INCS = $(INCS_loop)
$(BUILD)/obj/cli/%.o: INCS = $(INCS_cli)

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BIN): $(MAIN_OBJ) $(LIB)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/%: tests/%.c $(TEST_SUPPORT) $(LIB) $(wildcard tests/support/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -Itests/support -Ieval $(TEST_DEFS) -o $@ $< $(TEST_SUPPORT) $(TEST_EVAL_$*) $(LIB) $(PKG_LIBS) $(CMOCKA_LIBS)

# Tests of code that only the evaluation uses build it from eval/.
TEST_EVAL_test_rank := eval/ev_rank.c
$(BUILD)/tests/test_rank: eval/ev_rank.c eval/ev_rank.h

# check: build (on every PU) and run the tests of one build flavour.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
check: built
	@sh tests/run.sh $(BUILD) $(TEST_BIN)

built:
	@$(MAKE) --no-print-directory -j$(JOBS) $(BIN) $(TEST_BIN) corpora

# test: both flavours built, then their suites at once (most of a suite's
# time is spent waiting on the processes it starts), logs shown in turn.
test: deps
	@$(MAKE) --no-print-directory built
	@$(MAKE) --no-print-directory built SAN=1
	@sh tests/run_both.sh $(BUILD) "$(TEST_BIN)" $(BUILD)/san "$(patsubst $(BUILD)/%,$(BUILD)/san/%,$(TEST_BIN))"
	@$(MAKE) --no-print-directory -j$(JOBS) unused

# unused: every public function of the product is reachable from main
# (scripts/unused.sh). Built at -O0 with a section per function, so that
# the linker's garbage collection sees each one, inlined or not.
GC_OBJ := $(patsubst %.c,build/gc/%.o,$(LIB_SRC) cli/main.c)
build/gc/%.o: %.c
	@mkdir -p $(@D)
	@$(CC) $(WARN) $(INCS) $(PKG_CFLAGS) -O0 -ffunction-sections -MMD -MP -c -o $@ $<
unused: $(GC_OBJ)
	@sh scripts/unused.sh $(GC_OBJ)

demo: deps
	@$(MAKE) --no-print-directory all
	@sh corpora/demo.sh build/benchgate

# Evaluation programs (simulations, benchmarks): built plain, run by eval/run.sh.
# EVAL_SHARED: the eval/ code that is not a program, linked into each.
EVAL_SHARED := eval/sim_common.c eval/ev_rank.c
EVAL_BIN := $(patsubst eval/%.c,$(BUILD)/eval/%,$(filter-out $(EVAL_SHARED),$(wildcard eval/*.c)))

$(BUILD)/eval/%: eval/%.c $(EVAL_SHARED) $(wildcard eval/*.h) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ieval -o $@ $< $(EVAL_SHARED) $(LIB) $(PKG_LIBS)

# eval also compares with hyperfine (eval/peers.sh): make deps installs it.
eval:
	@BENCHGATE_DEPS_EXTRA=hyperfine sh scripts/deps.sh
	@$(MAKE) --no-print-directory all $(EVAL_BIN)
	@sh eval/run.sh $(BUILD)

deps:
	@sh scripts/deps.sh

# The calibration workloads go where `benchgate calibrate` looks last
# (after $$BENCHGATE_CORPORA and <benchgate's directory>/corpora).
# The path is compiled in; the stamp file rebuilds it when PREFIX changes.
LIBEXEC := $(PREFIX)/libexec/benchgate
LIBEXEC_STAMP := $(BUILD)/obj/loop/libexec.path
$(BUILD)/obj/loop/lp_calibrate.o $(BUILD)/obj/cli/cmd_calibrate.o: ALL_CFLAGS += -DLP_CORPORA_DIR='"$(LIBEXEC)"'
$(BUILD)/obj/loop/lp_calibrate.o $(BUILD)/obj/cli/cmd_calibrate.o: $(LIBEXEC_STAMP)
$(LIBEXEC_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(LIBEXEC)' | cmp -s - $@ || echo '$(LIBEXEC)' > $@
.PHONY: FORCE

install: $(BIN) corpora
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(LIBEXEC)
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/benchgate
	install -m 644 docs/benchgate.1 $(DESTDIR)$(PREFIX)/share/man/man1/benchgate.1
	install -m 755 $(CORPORA_BIN) $(DESTDIR)$(LIBEXEC)/

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(GC_OBJ:.o=.d)
