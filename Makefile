# smtpfront: plain Makefile.  make, make check, make install, make clean.
# CC, CFLAGS, PREFIX, DESTDIR and the library flags can be overridden.

CC ?= cc
CFLAGS ?= -O2 -g
WARN = -Wall -Wextra -Werror -std=c99 -D_DEFAULT_SOURCE -D_GNU_SOURCE
# Debian puts libowfat's headers straight into /usr/include; other
# packagings use a subdirectory: make OWFAT_CFLAGS=-I/usr/include/libowfat
OWFAT_CFLAGS ?=
OWFAT_LIBS ?= -lowfat
# Static: a dynamic start-up costs a connection ~130,000 instructions and
# several page faults in the loader.  make LDFLAGS= links dynamically.
LDFLAGS ?= -static
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
# B is the build directory: build/ normally, build-san/ for the
# AddressSanitizer/UndefinedBehaviorSanitizer run of the test suite.
B ?= build
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

ALL_CFLAGS = $(WARN) $(CFLAGS) $(OWFAT_CFLAGS) -I.

CORE = client child smtp addr spool dot rules rules_table reply log match
CHECKS = checks/checks checks/trust checks/allow_ip checks/allow_sender \
	checks/allow_rcpt checks/rcpt_domain checks/rcpt_users checks/rblsmtpd checks/earlytalker checks/unauth_pipelining \
	checks/helo_syntax checks/helo_bareip checks/helo_literal checks/helo_ours \
	checks/helo_list checks/helo_fqdn checks/helo_required checks/addr_syntax \
	checks/sender_fqdn checks/sender_list checks/size checks/bounce_multi
SF_OBJS = $(B)/smtpfront.o $(CORE:%=$(B)/%.o) $(CHECKS:%=$(B)/%.o)
CDB_OBJS = $(B)/cdb/smtpfront-cdb.o $(B)/rules.o $(B)/rules_table.o $(B)/reply.o
UNIT = unit-addr unit-smtp unit-dot unit-rules unit-spool unit-match
TOOLS = t/sink

PROGS = $(B)/smtpfront $(B)/smtpfront-cdb
TESTPROGS = $(UNIT:%=$(B)/t/%) $(TOOLS:%=$(B)/%)

all: $(PROGS) $(TESTPROGS)

$(B)/smtpfront: $(SF_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SF_OBJS) $(OWFAT_LIBS)

$(B)/smtpfront-cdb: $(CDB_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CDB_OBJS) $(OWFAT_LIBS)

$(B)/t/unit-%: t/unit-%.c t/tap.h $(CORE:%=$(B)/%.o) $(CHECKS:%=$(B)/%.o)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(CORE:%=$(B)/%.o) $(CHECKS:%=$(B)/%.o) $(OWFAT_LIBS)

$(B)/t/sink: t/sink.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

$(B)/%.o: %.c $(wildcard *.h checks/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

san:
	$(MAKE) B=build-san CFLAGS="$(SAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" all

# The whole test suite: deps, a normal build, then again under ASan/UBSan.
check: deps all san
	SF_BUILD=$(CURDIR)/build prove -v t/ > build/prove.log 2>&1 || { tail -n 150 build/prove.log; exit 1; }
	@tail -n 3 build/prove.log
	SF_BUILD=$(CURDIR)/build-san ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	    prove t/

deps:
	@sh scripts/deps.sh test

demo: deps all
	sh scripts/demo.sh

# Benchmarks: the table of bench/RESULTS.md (--quick: under two minutes).
bench: deps all
	sh bench/run

bench-quick: deps all
	sh bench/run --quick

# libFuzzer targets (clang): each runs FUZZ_SECONDS (default 30).
fuzz:
	$(MAKE) -C fuzz fuzz

install: $(PROGS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(B)/smtpfront $(B)/smtpfront-cdb scripts/smtpfront-report $(DESTDIR)$(BINDIR)/
	install -m 644 man/smtpfront.8 man/smtpfront-cdb.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 man/smtpfront-rules.5 $(DESTDIR)$(MANDIR)/man5/

clean:
	rm -rf build build-san build-fuzz

.PHONY: all san check deps demo bench bench-quick fuzz install clean
