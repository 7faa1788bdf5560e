#!/usr/bin/env bash
# A throwaway Dovecot on 127.0.0.1 for the demo and the benchmarks (the tests start their own from Swift).
#   dovecot-sandbox.sh start DIR PORT USER PASSWORD   -> serves DIR/home/Maildir as USER on 127.0.0.1:PORT (plain)
#   dovecot-sandbox.sh stop DIR
# Runs as root (mail served as uid/gid 65534) or as an ordinary user. Touches nothing under /etc.
set -euo pipefail
cmd=${1:?usage: dovecot-sandbox.sh start|stop DIR [PORT USER PASSWORD]}
dir=$(realpath -m "${2:?DIR}")

case "$cmd" in
start)
  port=${3:?PORT}; user=${4:?USER}; password=${5:?PASSWORD}
  mkdir -p "$dir"/{run,state,log,home/Maildir}
  if [ "$(id -u)" = 0 ]; then
    ids="65534:65534"; extra=""
    chown -R 65534:65534 "$dir/home"
  else
    ids=":"; me=$(id -un); grp=$(id -gn)
    extra="default_internal_user = $me
default_internal_group = $grp
default_login_user = $me
service anvil {
  chroot =
}
service imap-login {
  chroot =
}"
  fi
  echo "$user:{PLAIN}$password:$ids::$dir/home::" > "$dir/passwd"
  cat > "$dir/dovecot.conf" <<CONF
protocols = imap
listen = 127.0.0.1
base_dir = $dir/run
state_dir = $dir/state
instance_name = seatmeter-sandbox-$port
log_path = $dir/log/dovecot.log
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
ssl = no
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $dir/passwd
}
mail_location = maildir:~/Maildir
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
$extra
CONF
  dovecot -c "$dir/dovecot.conf" </dev/null >/dev/null 2>&1
  for _ in $(seq 1 100); do
    if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then exit 0; fi
    sleep 0.05
  done
  echo "dovecot did not start; see $dir/log/dovecot.log" >&2
  exit 1
  ;;
stop)
  [ -f "$dir/dovecot.conf" ] && doveadm -c "$dir/dovecot.conf" stop >/dev/null 2>&1 || true
  ;;
*) echo "unknown command $cmd" >&2; exit 2 ;;
esac
