# boxoffice: one hand-written Makefile.
#
#   make            build build/boxoffice and the frontend
#   make deps       install missing Debian packages (idempotent, quiet)
#   make compose    the real images and compose file, under podman (slow)
#   make fresh      the README's two commands in a bare Debian 12 container
#
# Targets that install (run, test, check, ...) run scripts/deps first and
# only then a sub-make: compiler flags come from pkg-config, which has
# nothing to say before the -dev packages are there, and a make computes
# its variables once, when it reads this file.
#   make run        start the whole stack on 127.0.0.1:8080, follow logs
#   make test       every test; the HTTP suite runs the sanitizer build
#   make asan       build/asan/boxoffice with ASan+UBSan and its unit tests
#   make check      unit tests of the normal build only (fast)
#   make tsan       ThreadSanitizer build: unit tests and a short HTTP load
#   make bench      benchmarks against same-run baselines (docs/PERFORMANCE.md)
#   make drills     the fault drills, long (make test runs them short)
#   make fuzz       every libFuzzer target for FUZZ_SECONDS (60) each
#   make fuzz-short every target for 10 s (part of make test)
#   make lint       cppcheck and clang-tidy over lib/ and app/, layout rules
#   make lighthouse Lighthouse scores of the home, a show and a booking page

CC      ?= cc
PKGS    := libpq json-c libsodium libqrencode libpng libesmtp-1.0 libcmark vips
SANITIZE ?= 0
# libvips brings glib's headers: include them as system headers, so our
# strict warnings judge our code only.
PKG_CFLAGS = $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(PKGS) 2>/dev/null))

ifeq ($(SANITIZE),1)
BUILD   ?= build/asan
OPT     := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
           -fno-sanitize-recover=all
else ifeq ($(SANITIZE),thread)
BUILD   ?= build/tsan
OPT     := -O1 -fno-omit-frame-pointer -fsanitize=thread
else
BUILD   ?= build
OPT     := -O2
endif

WARN    := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
           -Wstrict-prototypes -Wformat=2 -Wvla -Wpointer-arith
CFLAGS  := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
           $(WARN) $(OPT) -g -pthread -MMD -MP \
           $(PKG_CFLAGS)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lfcgi -lm
LDFLAGS := $(OPT) -pthread

LIB_SRC := $(sort $(wildcard lib/*.c))
APP_SRC := $(sort $(wildcard app/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
APP_OBJ := $(APP_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: pkgs-ok compose fresh bench all deps run stop test check asan unit http browser lighthouse clean frontend \
	fuzz fuzz-short fuzz-build lint cppcheck clang-tidy shape tsan drills drills-short

all: $(BUILD)/boxoffice frontend

$(BUILD)/boxoffice: $(APP_OBJ) $(BUILD)/libboxoffice.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libboxoffice.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/obj/%.o: %.c | pkgs-ok
	@mkdir -p $(dir $@)
	@echo "  CC  $<"; $(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libboxoffice.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-missing-prototypes -o $@ $< $(filter %.o,$^) \
		$(BUILD)/libboxoffice.a $(LDLIBS) -lcmocka

# A unit test of an app/ module links that object too.
$(BUILD)/tests/test_validate: $(BUILD)/obj/app/input.o

# The site: vite builds frontend/ into build/frontend (hashed assets), which
# nginx serves. Rebuilt only when a source, the config or the lock changed.
FRONTEND_SRC := $(shell find frontend -type f 2>/dev/null) package-lock.json

frontend: build/frontend.stamp
	@:

build/frontend.stamp: $(FRONTEND_SRC) $(if $(wildcard build/frontend/index.html),,FORCE)
	@test -x node_modules/.bin/vite || { echo "frontend: vite is missing, run 'make deps'" >&2; exit 1; }
	@echo "  VITE frontend/ -> build/frontend/"
	@node_modules/.bin/vite build --config frontend/vite.config.js --logLevel warn
	@touch $@

FORCE:

# One clear line instead of "libpq-fe.h: No such file" when the -dev
# packages are missing (a plain `make` on a new machine).
pkgs-ok:
	@pkg-config --exists $(PKGS) 2>/dev/null || { \
		echo "build: missing libraries ($$(for p in $(PKGS); do pkg-config --exists $$p 2>/dev/null || printf '%s ' $$p; done)); run 'make deps' (or 'make run'), which installs them" >&2; exit 1; }

# Browser tests (playwright-core driving Debian's chromium) against stacks
# running the sanitizer build, like the HTTP suite.
browser: deps
	@$(MAKE) --no-print-directory frontend
	@$(MAKE) --no-print-directory SANITIZE=1 build/asan/boxoffice
	BOXOFFICE_BIN=$(CURDIR)/build/asan/boxoffice \
		node --test --test-concurrency=1 tests/browser/

# ---- fuzzing ---------------------------------------------------------------
# libFuzzer targets (tests/fuzz/fuzz_*.c), built with clang apart from the
# normal build: lib/ and app/ (less main.c) are compiled again with coverage
# and ASan+UBSan into build/fuzz/. Each target runs in turn, in one process
# (so with the cores to itself), over a copy of its committed seeds in
# build/fuzz/corpus/<target>: what it finds stays there and the repo stays
# clean. A crash leaves its input in build/fuzz/artifacts/ and fails make;
# `build/fuzz/<target> <file>` replays it.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	$(WARN) -O1 -g -fno-omit-frame-pointer -pthread \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	$(PKG_CFLAGS)
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS := $(FUZZ_SRC:tests/fuzz/%.c=%)
FUZZ_BIN     := $(FUZZ_TARGETS:%=build/fuzz/%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)
FUZZ_APP_OBJ := $(filter-out build/fuzz/obj/app/main.o,\
	$(APP_SRC:%.c=build/fuzz/obj/%.o))
# Longest input per target: a little above what the code under test takes
# (a request body, a scanned token of TOK_SCAN_MAX bytes, a mail).
FUZZ_MAXLEN_fuzz_request  := 4096
FUZZ_MAXLEN_fuzz_json     := 4096
FUZZ_MAXLEN_fuzz_validate := 4096
FUZZ_MAXLEN_fuzz_token    := 1100
FUZZ_MAXLEN_fuzz_mime     := 8192
FUZZ_MAXLEN_fuzz_valid    := 1100
FUZZ_MAXLEN_fuzz_media    := 16384

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $< (fuzz)"; $(FUZZ_CC) $(FUZZ_CFLAGS) \
		-fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

build/fuzz/libboxoffice.a: $(FUZZ_LIB_OBJ)
	@rm -f $@; ar rcs $@ $^

build/fuzz/libapp.a: $(FUZZ_APP_OBJ)
	@rm -f $@; ar rcs $@ $^

$(FUZZ_BIN): build/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h \
		build/fuzz/libapp.a build/fuzz/libboxoffice.a
	@echo "  LD  $@"; $(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		build/fuzz/libapp.a build/fuzz/libboxoffice.a $(LDLIBS)

fuzz-build: $(FUZZ_BIN)
	@:

# One target: seeds copied in, then fuzz; the log is shown on failure only.
define fuzz_run
mkdir -p build/fuzz/corpus/$(1) build/fuzz/artifacts && \
cp tests/fuzz/corpus/$(1)/* build/fuzz/corpus/$(1)/ && \
printf '  FUZZ %-14s %3s s ' $(1) $(FUZZ_SECONDS) && \
if build/fuzz/$(1) -max_total_time=$(FUZZ_SECONDS) \
	-max_len=$(FUZZ_MAXLEN_$(1)) -timeout=10 -rss_limit_mb=2048 \
	-artifact_prefix=build/fuzz/artifacts/$(1)- \
	$(if $(wildcard tests/fuzz/$(1).dict),-dict=tests/fuzz/$(1).dict) \
	build/fuzz/corpus/$(1) >build/fuzz/$(1).log 2>&1; then \
	grep -o 'Done [0-9]* runs' build/fuzz/$(1).log | tail -1; \
else \
	echo FAILED; tail -n 60 build/fuzz/$(1).log; exit 1; \
fi
endef

fuzz: $(FUZZ_BIN)
	@$(foreach t,$(FUZZ_TARGETS),$(call fuzz_run,$(t)) && ) true

# For make test: about 60 s of fuzzing after the build (2 jobs).
fuzz-short:
	@$(MAKE) --no-print-directory -j2 fuzz-build
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

# ---- static analysis ----------------------------------------------------
# cppcheck, then clang-tidy with .clang-tidy, over lib/ and app/; both must
# be silent. A false positive is silenced on its line (cppcheck-suppress or
# NOLINT) with the reason next to it.
LINT_SRC    := $(LIB_SRC) $(APP_SRC)
LINT_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	$(WARN) -O2 -pthread $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# cppcheck does not read system headers (they are not on its include
# path), so CHAR_BIT is unknown to it and libpng's "8-bit bytes" #error
# fires; the compilers see <limits.h> and never take that branch.
CPPCHECK_FLAGS := -q --std=c11 --enable=warning,performance,portability \
	--error-exitcode=1 --inline-suppr --template=gcc -j2 \
	-D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	$(shell pkg-config --cflags-only-I $(PKGS) 2>/dev/null) \
	--suppress=preprocessorErrorDirective:/usr/include/libpng16/pngconf.h

lint: cppcheck clang-tidy shape

# Layout rules a compiler cannot check (tests/shape): no include cycle in
# app/, functions of at most 80 lines, outcome tables as docs/API.md says,
# every file in docs/ARCHITECTURE.md's feature table.
shape:
	@echo "  SHAPE app/ lib/ docs/"
	@mkdir -p build; node --test tests/shape/ >build/shape.log 2>&1 || { cat build/shape.log; exit 1; }

cppcheck:
	@echo "  CPPCHECK lib/ app/"
	@cppcheck $(CPPCHECK_FLAGS) $(LINT_SRC)

# The compilation database clang-tidy needs, from the flags above (always
# rewritten: it is cheap, and a new source file must be in it).
build/lint/compile_commands.json: FORCE
	@mkdir -p $(dir $@)
	@{ echo '['; sep=' '; for f in $(LINT_SRC); do \
		printf '%s{"directory":"%s","file":"%s","command":"clang %s -c %s"}\n' \
			"$$sep" "$(CURDIR)" "$$f" '$(strip $(LINT_CFLAGS))' "$$f"; \
		sep=','; done; echo ']'; } >$@

# One file per clang-tidy process: with several, clang-tidy 14's analyzer
# reports va_lists as uninitialized in every file after the first.
clang-tidy: build/lint/compile_commands.json
	@echo "  CLANG-TIDY lib/ app/"
	@ok=1; printf '%s\n' $(LINT_SRC) | xargs -P2 -n1 clang-tidy \
		-p build/lint --quiet >build/lint/clang-tidy.log 2>&1 || ok=0; \
	grep -v 'warnings\? generated\.$$' build/lint/clang-tidy.log || true; \
	test $$ok = 1

deps:
	@scripts/deps

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do $$t; done

check: deps
	@$(MAKE) --no-print-directory all unit

asan: deps
	@$(MAKE) --no-print-directory SANITIZE=1 \
		build/asan/boxoffice unit

# ThreadSanitizer: the unit tests, then a short HTTP load (the rush test:
# request threads, the outbox thread and the pool under contention, and a
# graceful stop per stack); a race report in a worker's log fails it.
tsan: deps
	@$(MAKE) --no-print-directory frontend
	@$(MAKE) --no-print-directory SANITIZE=thread build/tsan/boxoffice unit
	BOXOFFICE_BIN=$(CURDIR)/build/tsan/boxoffice \
		node --test --test-concurrency=1 tests/http/rush.test.mjs

# The HTTP suite runs against the sanitizer build: a memory error or a
# leak in any request path fails the test that caused it.
http: deps
	@$(MAKE) --no-print-directory frontend
	@$(MAKE) --no-print-directory SANITIZE=1 build/asan/boxoffice
	BOXOFFICE_BIN=$(CURDIR)/build/asan/boxoffice \
		node --test --test-concurrency=1 tests/http/

# Lighthouse 12 (npm) with Debian's chromium, mobile preset, on the home,
# a show and a booking page (tests/lighthouse): SEO, accessibility and best
# practices 100, layout shift at most 0.05; the scores land in
# tests/artifacts/lighthouse.json.
lighthouse: deps
	@$(MAKE) --no-print-directory frontend
	@$(MAKE) --no-print-directory SANITIZE=1 build/asan/boxoffice
	BOXOFFICE_BIN=$(CURDIR)/build/asan/boxoffice \
		node --test --test-concurrency=1 tests/lighthouse/

# Fault drills under a booking load (tests/drills), sanitizer build: short
# in make test, long (30 s each, the relay down for a minute) here.
DRILLS = BOXOFFICE_BIN=$(CURDIR)/build/asan/boxoffice \
	node --test --test-concurrency=1 tests/drills/

drills: deps
	@$(MAKE) --no-print-directory frontend
	@$(MAKE) --no-print-directory SANITIZE=1 build/asan/boxoffice
	DRILL_SECONDS=30 DRILL_SMTP_DOWN_SECONDS=60 $(DRILLS)

drills-short: deps
	@$(MAKE) --no-print-directory frontend
	@$(MAKE) --no-print-directory SANITIZE=1 build/asan/boxoffice
	DRILL_SECONDS=4 DRILL_SMTP_DOWN_SECONDS=6 $(DRILLS)

# Every test, fast checks first: static analysis and layout rules, unit
# tests (normal and sanitizer builds), HTTP, ThreadSanitizer, browser,
# fault drills, then a short fuzz run.
test: deps
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory SANITIZE=1 build/asan/boxoffice unit
	@$(MAKE) --no-print-directory http
	@$(MAKE) --no-print-directory tsan
	@$(MAKE) --no-print-directory browser
	@$(MAKE) --no-print-directory lighthouse
	@$(MAKE) --no-print-directory drills-short
	@$(MAKE) --no-print-directory fuzz-short

# The real images and the real compose file (tests/compose/run): builds the
# images from infra/docker/Dockerfile, runs infra/docker/compose.yml with
# Debian's docker-compose against podman, and the booking flow, restarts,
# two backends and backup/restore through nginx's published port; stops
# everything it started. See docs/OPERATIONS.md, "What make compose proves".
.PHONY: compose
compose:
	@tests/compose/run

# Benchmarks (not part of `make test`): figures against baselines measured
# in the same run, on a fresh stack; see docs/PERFORMANCE.md.
build/bench/mktickets: bench/mktickets.c build/libboxoffice.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< build/libboxoffice.a $(LDLIBS)

bench: deps
	@$(MAKE) --no-print-directory all build/bench/mktickets
	node bench/run.mjs

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/stack start
	@echo "Following the logs; Ctrl-C stops the stack."
	@trap 'scripts/stack stop' INT TERM; scripts/stack logs || true; \
		scripts/stack stop

stop:
	@scripts/stack stop

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(APP_OBJ:.o=.d)
-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_APP_OBJ:.o=.d)

# The README's two commands in a bare Debian 12 container (podman), from a
# clean clone of HEAD: make run until /api/shows answers, Ctrl-C, make test.
fresh:
	@tests/fresh/run
