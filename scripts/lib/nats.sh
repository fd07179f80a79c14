# shellcheck shell=bash
# nats.sh - a NATS server launcher and a minimal NATS publisher speaking the text protocol
# over bash's /dev/tcp (Debian has no `nats` CLI). Sourced, not run; needs procs.sh.
#
#   nats_start PORT LOGFILE             start nats-server on 127.0.0.1:PORT, remember its PID
#   nats_pub HOST PORT SUBJECT MSG...   publish each MSG on SUBJECT over one connection and wait
#                                       for the server's PONG (so they were all processed)
#   nats_publish_every SECONDS HOST PORT SUBJECT MSG...
#                                       publish now and then every SECONDS until killed (run it in
#                                       the background and remember_pid "$!")
#   nats_register_json HOST PORT URI [APP_GUID INSTANCE_GUID INDEX]
#                                       prints a router.register message for a backend

nats_start() { # PORT LOGFILE
  nats-server -a 127.0.0.1 -p "$1" > "$2" 2>&1 &
  remember_pid nats-server $!
  wait_port "$1" || { cat "$2" >&2; return 1; }
}

nats_pub() { # HOST PORT SUBJECT MSG...
  local host=$1 port=$2 subject=$3 fd line msg
  shift 3
  exec {fd}<>"/dev/tcp/$host/$port" || { echo "nats_pub: cannot connect to $host:$port" >&2; return 1; }
  # The server greets with INFO; verbose:false means no +OK after every command.
  {
    printf 'CONNECT {"verbose":false,"pedantic":false,"name":"nats.sh","lang":"bash","version":"1"}\r\n'
    for msg in "$@"; do
      # PUB needs the payload's size in bytes, whatever the locale.
      printf 'PUB %s %d\r\n%s\r\n' "$subject" "$(LC_ALL=C; echo "${#msg}")" "$msg"
    done
    printf 'PING\r\n'
  } >&"$fd"
  local rc=1 why="no PONG within 5 s"
  while IFS= read -r -t 5 line <&"$fd"; do
    line=${line%$'\r'}
    case $line in
      PONG) rc=0; break;;
      -ERR*) why="server said $line"; break;;
      PING) printf 'PONG\r\n' >&"$fd";;
    esac
  done
  exec {fd}>&-
  [ $rc = 0 ] || echo "nats_pub: $host:$port: $why" >&2
  return $rc
}

nats_publish_every() { # SECONDS HOST PORT SUBJECT MSG...
  local every=$1 sleeper=""
  shift
  trap '[ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null; exit 0' TERM INT
  while :; do
    nats_pub "$@" || true      # NATS may be restarting: try again next round
    sleep "$every" & sleeper=$!
    wait "$sleeper" || true
  done
}

nats_register_json() { # HOST PORT URI [APP_GUID INSTANCE_GUID INDEX]
  local app=${4:-} inst=${5:-} idx=${6:-0}
  printf '{"host":"%s","port":%d,"uris":["%s"]' "$1" "$2" "$3"
  [ -n "$app" ] && printf ',"app":"%s"' "$app"
  [ -n "$inst" ] && printf ',"private_instance_id":"%s","private_instance_index":"%s"' "$inst" "$idx"
  printf '}\n'
}
