#!/bin/sh
# Installs the systemd unit for a seatmeter binary at PREFIX/bin/seatmeter, and the README its Documentation=
# line names (PREFIX/share/doc/seatmeter/README.md). `make install` calls it; so do the tests.
# Usage: scripts/install-unit.sh PREFIX [DESTDIR]
set -eu
prefix=${1:?usage: install-unit.sh PREFIX [DESTDIR]}
destdir=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
case "$prefix" in
  /*) ;;
  *) echo "install-unit.sh: PREFIX must be an absolute path, got $prefix" >&2; exit 1 ;;
esac
prefix=${prefix%/}
# Escape what sed's replacement side treats specially (\ & and the | delimiter).
replacement=$(printf '%s\n' "$prefix" | sed 's/[\\&|]/\\&/g')
unit_dir="$destdir/etc/systemd/system"
doc_dir="$destdir$prefix/share/doc/seatmeter"
install -d "$unit_dir" "$doc_dir"
temporary=$(mktemp "$unit_dir/.seatmeter.service.XXXXXX")
trap 'rm -f "$temporary"' EXIT
# The unit's default is /usr/local (ExecStart= and Documentation=).
sed -e "s|^ExecStart=/usr/local/bin/seatmeter |ExecStart=$replacement/bin/seatmeter |" \
    -e "s|^Documentation=file:///usr/local/share/doc/seatmeter/|Documentation=file://$replacement/share/doc/seatmeter/|" \
    "$root/systemd/seatmeter.service" > "$temporary"
grep -qF "ExecStart=$prefix/bin/seatmeter " "$temporary" || {
  echo "install-unit.sh: ExecStart= was not rewritten for $prefix" >&2; exit 1; }
install -m 0644 "$temporary" "$unit_dir/seatmeter.service"
install -m 0644 "$root/README.md" "$doc_dir/README.md"
