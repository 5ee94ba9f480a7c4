# conclave - self-hosted videoconference MCU.
# Targets: all deps run check san tsan bench bench-network fuzz install format-check clean soak

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/conclave
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/conclave
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
CC ?= cc
FUZZ_CC ?= clang
SAN ?= address,undefined
FUZZ_SECONDS ?= 30

PKGS := nice openssl vpx opus libmicrohttpd inih jansson glib-2.0 zlib
APT_PKGS := build-essential pkg-config clang libclang-rt-14-dev libnice-dev libssl-dev \
	libvpx-dev libopus-dev libyuv-dev libmicrohttpd-dev libinih-dev \
	libjansson-dev libglib2.0-dev libavcodec-dev iproute2 util-linux curl chromium \
	python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0 gir1.2-gst-plugins-bad-1.0 \
	gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly \
	gstreamer1.0-nice gstreamer1.0-tools firefox-esr nginx-light haproxy strace groff-base man-db openssl \
	nftables coturn espeak-ng libavformat-dev zlib1g-dev

# FFmpeg for the recordings and H.264: the daemon is built with its headers
# only (mixer/webm.c loads the libraries when a recording starts,
# mixer/h264_codec.c when the first H.264 stream comes or goes); the unit
# tests and the benches link them.
AV_PKGS := libavformat libavcodec libavutil
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) $(AV_PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lyuv -lstdc++ -lm -lpthread -ldl
AV_LIBS = $(shell pkg-config --libs $(AV_PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wno-unused-parameter
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -Itransport -Imedia -Imixer -Isignaling -MMD -MP \
	-DCV_DATADIR='"$(DATADIR)"'
CFLAGS ?= -O2 -g
ALL_CFLAGS = $(BASE_CFLAGS) $(PKG_CFLAGS) $(CFLAGS)
SAN_CFLAGS = $(BASE_CFLAGS) $(PKG_CFLAGS) -O1 -g -fno-omit-frame-pointer \
	-fsanitize=$(SAN) -fno-sanitize-recover=all
TSAN_CFLAGS = $(BASE_CFLAGS) $(PKG_CFLAGS) -O1 -g -fno-omit-frame-pointer -fsanitize=thread
FUZZ_CFLAGS = $(BASE_CFLAGS) $(PKG_CFLAGS) -O1 -g -fsanitize=fuzzer-no-link,address,undefined

SRC := $(wildcard transport/*.c media/*.c mixer/*.c signaling/*.c)
LIB_SRC := $(filter-out signaling/main.c,$(SRC))
OBJ := $(SRC:%.c=build/obj/%.o)
LIB_OBJ := $(LIB_SRC:%.c=build/obj/%.o)
SAN_LIB_OBJ := $(LIB_SRC:%.c=build/san/%.o)
SAN_OBJ := $(SRC:%.c=build/san/%.o)
TSAN_LIB_OBJ := $(LIB_SRC:%.c=build/tsan/%.o)
TSAN_OBJ := $(SRC:%.c=build/tsan/%.o)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzzobj/%.o)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/tests/%)
UNIT_SAN_BIN := $(UNIT_SRC:tests/unit/%.c=build/tests-san/%)
# The unit tests that `make tsan` builds and tests/run-suite runs under
# ThreadSanitizer: those that start threads (test_mixer: the mixer's pool and
# clock thread; test_recorder: those and a writer thread; test_settings and
# test_stats: threads of their own), and
# test_peer, whose code runs on the network threads in the daemon.
UNIT_TSAN := test_loop test_mixer test_peer test_recorder test_settings test_stats
UNIT_TSAN_BIN := $(UNIT_TSAN:%=build/tests-tsan/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=build/bench/%)
LOADGEN_SRC := $(wildcard bench/loadgen/*.c)
LOADGEN_OBJ := $(patsubst %.c,build/loadgenobj/%.o,bench/loadgen.c $(LOADGEN_SRC))

.PHONY: FORCE all deps run check unit unit-san san tsan fuzz-build fuzz bench bench-network soak install format-check clean

all: conclave

conclave: $(OBJ)
	$(CC) $(CFLAGS) -o $@ $(OBJ) $(PKG_LIBS)

# The daemon under AddressSanitizer + UndefinedBehaviorSanitizer, for the
# integration suites under sanitizers (tests/run-suite runs them again with
# CONCLAVE_BIN=build/conclave-san) and the leak check.
san: build/conclave-san

build/conclave-san: $(SAN_OBJ)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -o $@ $(SAN_OBJ) $(PKG_LIBS)

# The daemon and the threaded unit tests under ThreadSanitizer, objects in
# build/tsan/: tests/run-suite runs those tests and the integration suites
# that drive the mixer threads against build/conclave-tsan; any report fails
# them. tests/tsan.supp holds the suppressions for uninstrumented libraries.
tsan: build/conclave-tsan $(UNIT_TSAN_BIN)

build/conclave-tsan: $(TSAN_OBJ)
	@mkdir -p $(@D)
	$(CC) $(TSAN_CFLAGS) -o $@ $(TSAN_OBJ) $(PKG_LIBS)

build/libconclave.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

build/libconclave-san.a: $(SAN_LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

build/libconclave-tsan.a: $(TSAN_LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

build/libconclave-fuzz.a: $(FUZZ_LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

build/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -c -o $@ $<

build/tsan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(TSAN_CFLAGS) -c -o $@ $<

build/fuzzobj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

build/tests/%: tests/unit/%.c build/libconclave.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< build/libconclave.a $(PKG_LIBS) $(AV_LIBS)

build/tests-san/%: tests/unit/%.c build/libconclave-san.a
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -Itests/unit -o $@ $< build/libconclave-san.a $(PKG_LIBS) $(AV_LIBS)

build/tests-tsan/%: tests/unit/%.c build/libconclave-tsan.a
	@mkdir -p $(@D)
	$(CC) $(TSAN_CFLAGS) -Itests/unit -o $@ $< build/libconclave-tsan.a $(PKG_LIBS) $(AV_LIBS)

build/fuzz/%: tests/fuzz/%.c build/libconclave-fuzz.a
	@mkdir -p $(@D)
	$(FUZZ_CC) $(BASE_CFLAGS) $(PKG_CFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined \
		-o $@ $< build/libconclave-fuzz.a $(PKG_LIBS)

build/bench/%: bench/%.c build/libconclave.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< build/libconclave.a $(PKG_LIBS) $(AV_LIBS)

# bench/loadgen: the load generator, its parts in bench/loadgen/. Compiled
# one object per source, so that each has its own dependency file.
build/loadgenobj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ibench/loadgen -c -o $@ $<

build/bench/loadgen: $(LOADGEN_OBJ) build/libconclave.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $(LOADGEN_OBJ) build/libconclave.a $(PKG_LIBS)

# Installs only the Debian and npm packages that are missing.
deps:
	@missing=""; for p in $(APT_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" \
			|| missing="$$missing $$p"; \
	done; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi
	@if [ ! -d tests/e2e/node_modules/playwright-core ] || \
	    [ ! -d tests/e2e/node_modules/puppeteer-core ] || \
	    [ ! -d tests/e2e/node_modules/axe-core ]; then \
		cd tests/e2e && npm ci --no-audit --no-fund; \
	fi

run: deps all
	./conclave

unit: $(UNIT_BIN)
unit-san: $(UNIT_SAN_BIN)
fuzz-build: $(FUZZ_BIN)

# Speech for the audio tests and benchmarks: Opus keeps its in-band FEC for
# voice (SILK and hybrid modes), which tones never reach. Two voices, two
# languages, synthesised here so that no recording is shipped.
SPEECH := build/speech/a.wav build/speech/b.wav
SPEECH_A := The committee met on Tuesday evening to discuss the budget for next year. \
	Several members asked whether the library could stay open on Sundays, and the treasurer \
	promised a detailed answer by the end of the month. After a short break, the group turned \
	to the summer festival, which needs twelve volunteers for the kitchen and four for the car park.
SPEECH_B := Bonjour à toutes et à tous. Nous commençons la séance par le compte rendu de la \
	dernière réunion, puis nous parlerons des inscriptions pour la rentrée. Chaque classe aura \
	deux délégués, et les parents qui le souhaitent pourront participer au conseil du mois de mars.

check: deps all unit unit-san san tsan fuzz-build build/bench/loadgen build/bench/relay \
	build/bench/webmprobe $(SPEECH)
	tests/run-suite

fuzz: fuzz-build
	tests/fuzz/run-all $(FUZZ_SECONDS)

bench: deps all $(BENCH_BIN) build/bench/loadgen $(SPEECH)
	bench/run

# One participant behind the impairment relay, per profile (bench/network.sh).
build/speech/a.wav:
	@mkdir -p $(@D)
	espeak-ng -v en-gb -s 160 -w $@ "$(SPEECH_A)"

build/speech/b.wav:
	@mkdir -p $(@D)
	espeak-ng -v fr -s 150 -w $@ "$(SPEECH_B)"

bench-network: deps all build/bench/relay $(SPEECH)
	bench/network.sh

# 20 loadgen participants for 10 minutes (SOAK_SECONDS), the daemon's RSS slope.
soak: all build/bench/loadgen
	bench/soak.sh

# Installs the daemon, the browser client, the man pages, the example
# configuration (as $(SYSCONFDIR)/conclave/conclave.ini only if there is none:
# an existing configuration is never overwritten) and the systemd unit.
# Paths in the installed files follow PREFIX, SYSCONFDIR and DATADIR.
INSTALL_SED = sed -e 's|/usr/local/share/conclave|$(DATADIR)|g' \
	-e 's|/usr/local/share/doc/conclave|$(DOCDIR)|g' \
	-e 's|/usr/local/lib/systemd/system|$(SYSTEMDUNITDIR)|g' \
	-e 's|/usr/local/bin/conclave|$(BINDIR)/conclave|g' \
	-e 's|/etc/conclave/conclave.ini|$(SYSCONFDIR)/conclave/conclave.ini|g'

install: all
	install -D -m 0755 conclave $(DESTDIR)$(BINDIR)/conclave
	mkdir -p $(DESTDIR)$(DATADIR)/www
	cp -R www/. $(DESTDIR)$(DATADIR)/www/
	chmod -R u=rwX,go=rX $(DESTDIR)$(DATADIR)/www
	mkdir -p $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)/examples
	$(INSTALL_SED) man/conclave.8 >$(DESTDIR)$(MANDIR)/man8/conclave.8
	$(INSTALL_SED) man/conclave.ini.5 >$(DESTDIR)$(MANDIR)/man5/conclave.ini.5
	$(INSTALL_SED) conclave.ini.example >$(DESTDIR)$(DOCDIR)/conclave.ini.example
	cp man/examples/* $(DESTDIR)$(DOCDIR)/examples/
	chmod 0644 $(DESTDIR)$(MANDIR)/man8/conclave.8 $(DESTDIR)$(MANDIR)/man5/conclave.ini.5 \
		$(DESTDIR)$(DOCDIR)/conclave.ini.example $(DESTDIR)$(DOCDIR)/examples/*
	mkdir -p $(DESTDIR)$(SYSTEMDUNITDIR)
	$(INSTALL_SED) conclave.service >$(DESTDIR)$(SYSTEMDUNITDIR)/conclave.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/conclave.service
	mkdir -p $(DESTDIR)$(SYSCONFDIR)/conclave
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/conclave/conclave.ini ]; then \
		echo "keeping the existing $(DESTDIR)$(SYSCONFDIR)/conclave/conclave.ini"; \
	else \
		$(INSTALL_SED) conclave.ini.example >$(DESTDIR)$(SYSCONFDIR)/conclave/conclave.ini && \
		chmod 0644 $(DESTDIR)$(SYSCONFDIR)/conclave/conclave.ini && \
		echo "installed $(DESTDIR)$(SYSCONFDIR)/conclave/conclave.ini"; \
	fi

format-check:
	clang-format --dry-run -Werror $(SRC) $(wildcard transport/*.h media/*.h mixer/*.h signaling/*.h) \
		$(UNIT_SRC) $(FUZZ_SRC) $(BENCH_SRC) $(LOADGEN_SRC) $(wildcard bench/loadgen/*.h)

clean:
	rm -rf build conclave

# The objects that compile CV_DATADIR in are rebuilt when DATADIR (PREFIX)
# changes between builds: build/datadir.stamp holds the value and is only
# rewritten when it differs, so an installed binary always finds its www/.
# Its recipe runs under make -n and -q too ('+'), so that they list only what
# really needs rebuilding instead of everything that depends on the stamp.
DATADIR_SRC := $(shell grep -l CV_DATADIR $(SRC) $(UNIT_SRC) 2>/dev/null)
$(DATADIR_SRC:%.c=build/obj/%.o) $(DATADIR_SRC:%.c=build/san/%.o) \
	$(DATADIR_SRC:%.c=build/tsan/%.o) $(DATADIR_SRC:%.c=build/fuzzobj/%.o) \
	$(filter $(DATADIR_SRC:tests/unit/%.c=build/tests/%) \
	$(DATADIR_SRC:tests/unit/%.c=build/tests-san/%) \
	$(DATADIR_SRC:tests/unit/%.c=build/tests-tsan/%),$(UNIT_BIN) $(UNIT_SAN_BIN) \
	$(UNIT_TSAN_BIN)): build/datadir.stamp
build/datadir.stamp: FORCE
	+@mkdir -p $(@D)
	+@if [ "$$(cat $@ 2>/dev/null)" != '$(DATADIR)' ]; then echo '$(DATADIR)' >$@; fi
FORCE:

# Dependency files (-MMD): the objects' next to them; a test, fuzz target or
# bench program compiled straight from its .c writes its own next to the
# binary (build/tests/test_x.d); loadgen's are those of its objects.
-include $(OBJ:.o=.d) $(SAN_OBJ:.o=.d) $(TSAN_OBJ:.o=.d) $(FUZZ_LIB_OBJ:.o=.d) \
	$(LOADGEN_OBJ:.o=.d) $(UNIT_BIN:=.d) $(UNIT_SAN_BIN:=.d) $(UNIT_TSAN_BIN:=.d) \
	$(FUZZ_BIN:=.d) $(addsuffix .d,$(filter-out build/bench/loadgen,$(BENCH_BIN)))
