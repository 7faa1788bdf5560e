#!/usr/bin/env bash
# `make demo`: SeatMeter end to end on a local sample. Starts a throwaway Dovecot and SMTP sink on 127.0.0.1,
# fills the mailbox with generated help-desk traffic, syncs it, prints the report, writes the HTML report,
# mails it to the sink, and stops what it started. Nothing leaves this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=$root/demo-out
seatmeter=$root/.build/release/seatmeter
messages=${DEMO_MESSAGES:-3000}
port=$(( 20000 + RANDOM % 20000 ))

rm -rf "$out"
mkdir -p "$out"
cleanup() {
  scripts/dovecot-sandbox.sh stop "$out/dovecot" || true
  [ -n "${sink_pid:-}" ] && kill "$sink_pid" 2>/dev/null || true
}
trap cleanup EXIT

echo "== Generating $messages help-desk messages (employees, technicians, on-behalf mail, auto-replies, lists ...)"
python3 scripts/gen_helpdesk.py --out "$out/mail" --messages "$messages" --weeks 16 \
  --start "$(date -u -d '-15 weeks' +%Y-%m-%d)" >/dev/null

echo "== Starting Dovecot on 127.0.0.1:$port and an SMTP sink"
scripts/dovecot-sandbox.sh start "$out/dovecot" "$port" helpdesk demo-password
rm -rf "$out/dovecot/home/Maildir"
cp -a "$out/mail/Maildir" "$out/dovecot/home/Maildir"
[ "$(id -u)" = 0 ] && chown -R 65534:65534 "$out/dovecot/home"
/usr/bin/python3 scripts/smtp_sink.py --outdir "$out/sink" --ready-file "$out/sink.port" >"$out/sink.log" 2>&1 &
sink_pid=$!
for _ in $(seq 100); do [ -f "$out/sink.port" ] && break; sleep 0.05; done
smtp_port=$(cat "$out/sink.port")

echo demo-password > "$out/imap-password"
chmod 600 "$out/imap-password"
cat > "$out/seatmeter.yaml" <<YAML
ledger: $out/seatmeter.sqlite
accounts:
  - name: helpdesk
    url: imap://127.0.0.1:$port
    username: helpdesk
    password_file: imap-password
    allow_insecure: true          # loopback demo only
    folders: { incoming: [INBOX], outgoing: [Sent] }
$(cat "$out/mail/seatmeter-org.yaml")
licensing:
  window: 90d
  currency: USD
  team_price_per_user: 12
  support_price_per_agent: 45
  billing: monthly
report:
  schedule: "mon 07:00"
  timezone: UTC
  from: seatmeter@example.com
  recipients: [it-admins@example.com]
  formats: [html, csv]
smtp:
  url: smtp://127.0.0.1:$smtp_port
  allow_insecure: true            # loopback demo only
YAML

echo "== seatmeter sync"
"$seatmeter" sync --config "$out/seatmeter.yaml" --log-level warning
echo
if "$seatmeter" report --help >/dev/null 2>&1; then
  echo "== seatmeter report (text)"
  "$seatmeter" report --config "$out/seatmeter.yaml" --log-level warning
  "$seatmeter" report --config "$out/seatmeter.yaml" --format html --output "$out/report.html" --log-level warning
  echo
  echo "HTML report written to $out/report.html"
  "$seatmeter" report --config "$out/seatmeter.yaml" --send --log-level warning >/dev/null
  echo "Report mailed to the SMTP sink: $(ls "$out"/sink/*.eml)"
else
  echo "== seatmeter users (agents)"
  "$seatmeter" users --config "$out/seatmeter.yaml" --role agent --window 3650d --log-level warning
fi
