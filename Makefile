# smtpfront: plain Makefile.  make, make check, make install, make clean.
# CC, CFLAGS, PREFIX, DESTDIR and the library flags can be overridden.

CC ?= cc
CFLAGS ?= -O2 -g
WARN = -Wall -Wextra -Werror -std=c99 -D_DEFAULT_SOURCE -D_GNU_SOURCE
# LIBC: the C library smtpfront and smtpfront-cdb (and the unit tests,
# which link the same objects) are built with.  musl when musl-gcc is
# installed (Debian: musl-tools), glibc otherwise; make LIBC=glibc or
# make LIBC=musl forces one.  A static musl program starts in ~1,000
# instructions and ~11 KB Pss, a static glibc one in ~39,000 and ~60 KB,
# paid by every connection.  CC (glibc) always builds t/sink, the tests'
# and the benchmark's reference child, and the sanitizer build.
MUSL_CC ?= musl-gcc
LIBC ?= $(if $(shell command -v $(MUSL_CC) 2>/dev/null),musl,glibc)
# Debian puts libowfat's headers straight into /usr/include; other
# packagings use a subdirectory: make OWFAT_CFLAGS=-I/usr/include/libowfat
# (glibc) or OWFAT_INCDIR=/usr/include/libowfat (musl).
OWFAT_CFLAGS ?=
OWFAT_LIBS ?= -lowfat
LMDB_LIBS ?= -llmdb
HIREDIS_LIBS ?= -lhiredis
OWFAT_INCDIR ?= /usr/include
# libowfat's headers we include, and the ones they include.  musl-gcc
# must not see /usr/include (glibc's headers), so the musl build reads
# these through symbolic links in $(B)/owfat-include/ and nothing else.
OWFAT_HEADERS = cdb.h cdb_make.h stralloc.h buffer.h uint32.h uint64.h dns.h \
	iopause.h taia.h tai.h lmdb.h
# Static: a dynamic start-up costs a connection ~130,000 instructions and
# several page faults in the loader.  make LDFLAGS= links dynamically.
LDFLAGS ?= -static
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
# the example filters (filter-spamassassin, filter-clamav)
LIBEXECDIR = $(PREFIX)/libexec/smtpfront
# B is the build directory: build/ normally, build-san/ for the
# AddressSanitizer/UndefinedBehaviorSanitizer run of the test suite.
B ?= build
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

ALL_CFLAGS = $(WARN) $(CFLAGS) $(OWFAT_CFLAGS) -I.

# SF_CC compiles and links everything but t/sink.  Debian's libowfat.a is
# built against glibc; the members we link (cdb, cdb_make, stralloc_*,
# buffer_*, byte_*, str_len) need only __errno_location,
# __stack_chk_fail, fstat64, mmap64, munmap, pread64, lseek64, malloc,
# realloc, memcpy, write and writev, which musl has too.  musl-gcc
# searches no glibc library directory, so the archive is named by its
# path, as CC finds it.
ifeq ($(LIBC),musl)
SF_CC = $(MUSL_CC)
SF_CFLAGS = $(WARN) $(CFLAGS) -I$(B)/owfat-include -I.
SF_LIBS = $(shell $(CC) -print-file-name=libowfat.a) \
	$(shell $(CC) -print-file-name=liblmdb.a) \
	$(shell $(CC) -print-file-name=libhiredis.a)
SF_INC = $(B)/owfat-include/.stamp
# Debian's liblmdb.a and libhiredis.a also call glibc names musl lacks
# (fortified printf and memcpy, __fxstat, the ctype tables): compat.c
# gives them to them
SF_COMPAT = compat
else ifeq ($(LIBC),glibc)
SF_CC = $(CC)
SF_CFLAGS = $(ALL_CFLAGS)
SF_LIBS = $(OWFAT_LIBS) $(LMDB_LIBS) $(HIREDIS_LIBS)
SF_INC =
SF_COMPAT =
else
$(error LIBC must be musl or glibc, not $(LIBC))
endif

CORE = check conn verdict data dryrun configtest client child proc smtp addr \
	spool dot rules rules_table reply log match envvar crlf starttls \
	resolver dnspkt dnslist maildomain header policy milter filter content feed scan dkim psl dmarc authres spf store store_redis storeurl $(SF_COMPAT)
CHECKS = checks/checks checks/closed checks/trust checks/allow_ip checks/allow_sender \
	checks/allow_rcpt checks/rcpt_domain checks/rcpt_dns checks/rcpt_users checks/rblsmtpd checks/earlytalker checks/unauth_pipelining \
	checks/helo_syntax checks/helo_bareip checks/helo_literal checks/helo_ours \
	checks/helo_list checks/helo_fqdn checks/helo_required checks/addr_syntax \
	checks/sender_fqdn checks/sender_list checks/size checks/bounce_multi \
	checks/dnsbl checks/fcrdns checks/trust_name checks/allow_name checks/helo_dns \
	checks/sender_domain checks/rhsbl checks/spf checks/trap \
	checks/greylist checks/rate checks/policy checks/milter checks/header_size checks/header_8bit \
	checks/header_from checks/bounce_bogus checks/dkim checks/dmarc checks/content checks/filter
SF_OBJS = $(B)/smtpfront.o $(CORE:%=$(B)/%.o) $(CHECKS:%=$(B)/%.o)
CDB_OBJS = $(B)/cdb/smtpfront-cdb.o $(B)/rules.o $(B)/rules_table.o $(B)/reply.o \
	$(B)/dnslist.o $(B)/storeurl.o $(B)/filter.o $(B)/proc.o $(B)/spool.o \
	$(B)/content.o
UNIT = unit-addr unit-smtp unit-dot unit-rules unit-spool unit-match unit-crlf \
	unit-verdict unit-proc unit-starttls unit-dns unit-milter
# t/testmilter (t/milter.t's milter) needs libmilter (Debian:
# libmilter-dev, which "make check" installs): built when it is there, so
# that "make" needs no test dependency
MILTER_H ?= /usr/include/libmilter/mfapi.h
TOOLS = t/sink $(if $(wildcard $(MILTER_H)),t/testmilter)
# smtpfront with the checks of checks/TEMPLATE.c added (t/template.t)
TEMPLATE_OBJS = $(B)/smtpfront.o $(CORE:%=$(B)/%.o) \
	$(filter-out $(B)/checks/checks.o,$(CHECKS:%=$(B)/%.o)) \
	$(B)/checks/TEMPLATE.o $(B)/t/template-checks.o

PROGS = $(B)/smtpfront $(B)/smtpfront-cdb $(B)/smtpfront-tls $(B)/smtpfront-spf \
	$(B)/smtpfront-store $(B)/smtpfront-scan $(B)/smtpfront-dkim
TESTPROGS = $(UNIT:%=$(B)/t/%) $(TOOLS:%=$(B)/%) $(B)/t/smtpfront-template

all: $(PROGS) $(TESTPROGS)

$(B)/smtpfront: $(SF_OBJS)
	$(SF_CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SF_OBJS) $(SF_LIBS)

# smtpfront-store: the store's maintenance command, built as smtpfront
STORE_OBJS = $(B)/smtpfront-store.o $(B)/store.o $(B)/store_redis.o \
	$(B)/storeurl.o $(SF_COMPAT:%=$(B)/%.o)
$(B)/smtpfront-store: $(STORE_OBJS)
	$(SF_CC) $(CFLAGS) $(LDFLAGS) -o $@ $(STORE_OBJS) $(SF_LIBS)

$(B)/smtpfront-cdb: $(CDB_OBJS)
	$(SF_CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CDB_OBJS) $(SF_LIBS)

# smtpfront-tls: OpenSSL, started only for STARTTLS.  Debian's libssl.a
# and libcrypto.a are built against glibc and do not link with musl, so
# it is built with CC; OpenSSL is never loaded into smtpfront itself.
# TLS_LDFLAGS: its link flags (LDFLAGS are smtpfront's, -static).
TLS_LIBS ?= -lssl -lcrypto
TLS_LDFLAGS ?=
$(B)/smtpfront-tls: smtpfront-tls.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TLS_LDFLAGS) -o $@ smtpfront-tls.c $(TLS_LIBS)

# smtpfront-spf: libspf2, started at MAIL when spf_action is on, with
# smtpfront's resolver as libspf2's DNS layer.  Debian's libspf2 is
# built against glibc, so CC as for smtpfront-tls; TLS_LDFLAGS, the
# helpers' link flags, apply to it too.
SPF_LIBS ?= -lspf2 $(OWFAT_LIBS)
$(B)/smtpfront-spf: smtpfront-spf.c resolver.c resolver.h dnspkt.c dnspkt.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DRESOLVER_MAX=128 $(TLS_LDFLAGS) \
	    -o $@ smtpfront-spf.c resolver.c dnspkt.c $(SPF_LIBS)

# smtpfront-scan: the content rules' patterns, compiled (for
# smtpfront-cdb) and matched (for smtpfront, one message) with
# Hyperscan, a C++ library built against glibc: CC, as for the other
# helpers.  Static: started for every message, the dynamic one spends
# 2.5 million instructions in the loader (libhs's and libstdc++'s
# symbols), the static one 53,000 in all.  HS_LIBS=-lhs SCAN_LDFLAGS=
# links it against libhs.so (libhyperscan5) instead.
HS_LIBS ?= -l:libhs.a -lstdc++ -lm
SCAN_LDFLAGS ?= -static
SCAN_SRC = smtpfront-scan.c content.c filter.c mime.c proc.c spool.c
$(B)/smtpfront-scan: $(SCAN_SRC) content.h filter.h mime.h proc.h spool.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SCAN_LDFLAGS) -o $@ $(SCAN_SRC) $(OWFAT_LIBS) \
	    $(HS_LIBS)

# smtpfront-dkim: libopendkim (glibc, OpenSSL), started at DATA when
# dkim_action is on, with smtpfront's resolver as its DNS layer: CC, as
# smtpfront-spf.
DKIM_LIBS ?= -lopendkim $(OWFAT_LIBS)
$(B)/smtpfront-dkim: smtpfront-dkim.c resolver.c resolver.h dnspkt.c dnspkt.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DRESOLVER_MAX=64 $(TLS_LDFLAGS) \
	    -o $@ smtpfront-dkim.c resolver.c dnspkt.c $(DKIM_LIBS)

$(B)/t/smtpfront-template: $(TEMPLATE_OBJS)
	$(SF_CC) $(CFLAGS) $(LDFLAGS) -o $@ $(TEMPLATE_OBJS) $(SF_LIBS)

$(B)/t/unit-%: t/unit-%.c t/tap.h $(CORE:%=$(B)/%.o) $(CHECKS:%=$(B)/%.o) $(SF_INC)
	@mkdir -p $(@D)
	$(SF_CC) $(SF_CFLAGS) $(LDFLAGS) -o $@ $< $(CORE:%=$(B)/%.o) $(CHECKS:%=$(B)/%.o) $(SF_LIBS)

$(B)/t/sink: t/sink.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

# t/milter.t's milter, on Debian's libmilter (libmilter-dev): linked
# dynamically, without the sanitizers (it tests smtpfront, not itself)
$(B)/t/testmilter: t/testmilter.c
	@mkdir -p $(@D)
	$(CC) $(WARN) -O2 -g -o $@ $< -lmilter -lpthread

$(B)/%.o: %.c $(wildcard *.h checks/*.h) $(B)/libc $(SF_INC)
	@mkdir -p $(@D)
	$(SF_CC) $(SF_CFLAGS) -c -o $@ $<

# The C library the objects in $(B) were built with: it changes (and
# they are rebuilt) only when LIBC does.
$(B)/libc: FORCE
	@mkdir -p $(@D)
	@echo '$(LIBC)' | cmp -s - $@ || echo '$(LIBC)' > $@

$(B)/owfat-include/.stamp: Makefile
	@mkdir -p $(@D)
	for h in $(OWFAT_HEADERS); do \
	    test -f '$(OWFAT_INCDIR)'/"$$h" || { echo "no $(OWFAT_INCDIR)/$$h" >&2; exit 1; }; \
	    ln -sf '$(OWFAT_INCDIR)'/"$$h" $(@D)/"$$h" || exit 1; \
	done
	ln -sfn '$(OWFAT_INCDIR)'/hiredis $(@D)/hiredis
	@# iopause.h includes <sys/poll.h>, which musl warns about
	mkdir -p $(@D)/sys && echo '#include <poll.h>' > $(@D)/sys/poll.h
	@touch $@

san:
	$(MAKE) B=build-san LIBC=glibc CFLAGS="$(SAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" \
	    SCAN_LDFLAGS="-fsanitize=address,undefined" HS_LIBS=-lhs all

# The whole test suite: deps; then a sub-make builds build/ and
# build-san/ (so that LIBC is chosen after deps has installed musl-gcc);
# then one pass of scripts/check.sh on each: prove on t/, PROVE_JOBS files
# at a time, the fault tests alone at the end.  Each pass prints its
# summary; the whole output is in build/prove.log and build-san/prove.log.
PROVE_JOBS ?= 2
check: deps
	@$(MAKE) --no-print-directory all san
	@PROVE_JOBS='$(PROVE_JOBS)' sh scripts/check.sh build \
	    "normal build ($$(cat build/libc))"
	@PROVE_JOBS='$(PROVE_JOBS)' ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	    sh scripts/check.sh build-san \
	    "AddressSanitizer and UndefinedBehaviorSanitizer build (glibc)"

deps:
	@sh scripts/deps.sh test

# The demo installs only what it needs, then builds (a sub-make: LIBC is
# chosen after the install) and runs scripts/demo.sh until Ctrl-C.
demo:
	@sh scripts/deps.sh demo
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh

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
	install -m 755 $(B)/smtpfront $(B)/smtpfront-cdb $(B)/smtpfront-tls \
	    $(B)/smtpfront-spf $(B)/smtpfront-store $(B)/smtpfront-scan \
	    $(B)/smtpfront-dkim scripts/smtpfront-report $(DESTDIR)$(BINDIR)/
	install -m 644 man/smtpfront.8 man/smtpfront-cdb.8 man/smtpfront-tls.8 \
	    man/smtpfront-spf.8 man/smtpfront-store.8 man/smtpfront-scan.8 \
	    man/smtpfront-dkim.8 \
	    $(DESTDIR)$(MANDIR)/man8/
	install -m 644 man/smtpfront-rules.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 755 scripts/smtpfront-import $(DESTDIR)$(BINDIR)/
	install -m 644 man/smtpfront-import.8 man/smtpfront-report.8 \
	    $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(LIBEXECDIR)
	install -m 755 scripts/filter-spamassassin scripts/filter-clamav \
	    $(DESTDIR)$(LIBEXECDIR)/

clean:
	rm -rf build build-san build-fuzz

.PHONY: all san check deps demo bench bench-quick fuzz install clean FORCE
