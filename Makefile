# SeatMeter — build, test, demo, bench, fuzz, install.
# Every target that needs system packages installs the missing ones first (Debian 12, as root).

SWIFT        ?= swift
PREFIX       ?= /usr/local
DESTDIR      ?=
CONFIGURATION ?= debug
APT_BUILD    := libcurl4-openssl-dev pkg-config libsqlite3-dev
APT_TEST     := dovecot-imapd python3-aiosmtpd openssl systemd
APT_BENCH    := python3

.PHONY: all build release test demo bench fuzz install deps-build deps-test clean

all: build

# Installs only the packages that are missing; needs root (apt-get) when something is.
define apt_install
	@missing=""; for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "error: missing packages ($$missing); run as root or: sudo apt-get install$$missing" >&2; exit 1; fi; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

deps-build:
	$(call apt_install,$(APT_BUILD))
	@# The Swift toolchain is not a Debian package: say where to get it instead of failing later.
	@command -v $(SWIFT) >/dev/null 2>&1 || { echo "error: '$(SWIFT)' not found: install Swift 6.2 or newer for Debian 12 from https://www.swift.org/install/linux/ (or set SWIFT=/path/to/swift)" >&2; exit 1; }

deps-test: deps-build
	$(call apt_install,$(APT_TEST))
	@# Dovecot's packaged system service is not used by the tests (each test starts a private instance).
	@systemctl disable --now dovecot >/dev/null 2>&1 || true

build: deps-build
	$(SWIFT) build

# The Swift runtime and Foundation linked in (--static-swift-stdlib): the dynamic loader no longer resolves thousands
# of their symbols at every start (`seatmeter --version` 24 -> 13 ms, medians of 10); a larger file (about 110 MB).
# Only our two executables: a dependency's dynamic library product (GRDB-dynamic) cannot link that way.
release: deps-build
	$(SWIFT) build -c release --static-swift-stdlib --product seatmeter
	$(SWIFT) build -c release --static-swift-stdlib --product seatmeter-bench

test: deps-test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: deps-test release
	scripts/demo.sh

bench: deps-test release
	scripts/bench.sh

fuzz: deps-build
	scripts/fuzz.sh $(FUZZ_SECONDS)

install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)/etc/seatmeter
	install -m 0755 .build/release/seatmeter $(DESTDIR)$(PREFIX)/bin/seatmeter
	scripts/install-unit.sh "$(PREFIX)" "$(DESTDIR)"
	test -e $(DESTDIR)/etc/seatmeter/seatmeter.yaml || install -m 0644 config/seatmeter.example.yaml $(DESTDIR)/etc/seatmeter/seatmeter.yaml

clean:
	rm -rf .build
