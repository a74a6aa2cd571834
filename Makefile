# boxoffice: one hand-written Makefile.
#
#   make            build build/boxoffice and the frontend
#   make deps       install missing Debian packages (idempotent, quiet)
#   make run        start the whole stack on 127.0.0.1:8080, follow logs
#   make test       every test; the HTTP suite runs the sanitizer build
#   make asan       build/asan/boxoffice with ASan+UBSan and its unit tests
#   make check      unit tests of the normal build only (fast)

CC      ?= cc
PKGS    := libpq json-c libsodium libqrencode libpng libesmtp-1.0
SANITIZE ?= 0

ifeq ($(SANITIZE),1)
BUILD   ?= build/asan
OPT     := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
           -fno-sanitize-recover=all
else
BUILD   ?= build
OPT     := -O2
endif

WARN    := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
           -Wstrict-prototypes -Wformat=2 -Wvla -Wpointer-arith
CFLAGS  := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
           $(WARN) $(OPT) -g -pthread -MMD -MP \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lfcgi -lm
LDFLAGS := $(OPT) -pthread

LIB_SRC := $(sort $(wildcard lib/*.c))
APP_SRC := $(sort $(wildcard app/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
APP_OBJ := $(APP_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps run stop test check asan unit http clean frontend

all: $(BUILD)/boxoffice frontend

$(BUILD)/boxoffice: $(APP_OBJ) $(BUILD)/libboxoffice.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libboxoffice.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<"; $(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libboxoffice.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-missing-prototypes -o $@ $< \
		$(BUILD)/libboxoffice.a $(LDLIBS) -lcmocka

# The frontend is static files for now; the built site lives in
# build/frontend, which nginx serves.
frontend:
	@mkdir -p build/frontend
	@cp -R frontend/public/. build/frontend/

deps:
	@scripts/deps

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do $$t; done

check: deps
	@$(MAKE) --no-print-directory all unit

asan: deps
	@$(MAKE) --no-print-directory SANITIZE=1 \
		build/asan/boxoffice unit

# The HTTP suite runs against the sanitizer build: a memory error or a
# leak in any request path fails the test that caused it.
http: deps
	@$(MAKE) --no-print-directory frontend
	@$(MAKE) --no-print-directory SANITIZE=1 build/asan/boxoffice
	BOXOFFICE_BIN=$(CURDIR)/build/asan/boxoffice \
		node --test --test-concurrency=1 tests/http/

test: deps
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory SANITIZE=1 build/asan/boxoffice unit
	@$(MAKE) --no-print-directory http

run: deps all
	@scripts/stack start
	@echo "Following the logs; Ctrl-C stops the stack."
	@trap 'scripts/stack stop' INT TERM; scripts/stack logs || true; \
		scripts/stack stop

stop:
	@scripts/stack stop

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(APP_OBJ:.o=.d)
