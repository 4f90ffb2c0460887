#!/usr/bin/env bash
# Lifeboat test lab: a real, seeded Docker homelab plus an sshd on 127.0.0.1.
#   lab.sh up [--scale N]     install/build/start/seed what is missing (idempotent, fast when up)
#   lab.sh down               stop containers, sshd (and dockerd if the lab started it)
#   lab.sh reset [--scale N]  remove lab containers/volumes/stack dirs, then up (pristine lab)
#   lab.sh info               one JSON object on stdout (non-zero exit if the lab is not up)
# State: ${LIFEBOAT_LAB_DIR:-/var/tmp/lifeboat-lab}. See test/lab/README.md.
set -euo pipefail

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for f in common deps images sshd compose seed scale info; do
  # shellcheck source=/dev/null
  source "$LAB_DIR/lib/$f.sh"
done

usage() {
  sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# One lab operation at a time (parallel test workers may all call `up`).
take_lock() {
  mkdir -p "$STATE"
  exec 9>"$STATE/lock"
  if ! flock -n 9; then
    log "another lab.sh is running; waiting for it…"
    flock -w 900 9 || die "gave up waiting for the lab lock ($STATE/lock)"
  fi
}

cmd_up() {
  local scale=""
  while (($#)); do
    case "$1" in
      --scale) [[ $# -ge 2 ]] || die "--scale needs a number"; scale="$2"; shift 2 ;;
      --scale=*) scale="${1#--scale=}"; shift ;;
      *) die "unknown option for up: $1" ;;
    esac
  done
  [[ -z "$scale" || "$scale" =~ ^[0-9]{1,2}$ ]] || die "--scale wants a number from 0 to 99, got '$scale'"
  local t0; t0="$(now)"
  [[ $EUID -eq 0 ]] || die "the lab must run as root (it installs packages, starts dockerd and sshd)"
  take_lock
  ensure_state_dirs
  [[ -d "$FIXTURES/chinook" ]] || die "fixtures not found at $FIXTURES/chinook (set LIFEBOAT_LAB_FIXTURES)"
  ensure_packages
  ensure_dockerd
  ensure_images
  ensure_sshd
  ensure_seed
  [[ -z "$scale" ]] || ensure_scale "$scale"
  rm -rf "${STATE:?}/tmp/"*
  log "lab is up in $(elapsed "$t0") s — ssh root@127.0.0.1 -p $SSH_PORT; details: npm run --silent lab:info"
}

cmd_down() {
  [[ $EUID -eq 0 ]] || die "the lab must run as root"
  take_lock
  if docker_up; then
    local ids
    ids="$(docker ps -q --filter "label=$LAB_LABEL=1")"
    if [[ -n "$ids" ]]; then
      log "stopping $(wc -l <<<"$ids") lab container(s)"
      # shellcheck disable=SC2086
      docker stop -t 20 $ids >/dev/null
    fi
  fi
  stop_sshd
  stop_dockerd_if_ours
  log "lab is down (images, keys and data kept; 'up' resumes it)"
}

cmd_reset() {
  [[ $EUID -eq 0 ]] || die "the lab must run as root"
  (
    take_lock
    ensure_state_dirs
    ensure_packages
    ensure_dockerd
    log "reset: removing lab containers, volumes and stack dirs"
    local ids vols
    ids="$(docker ps -aq --filter "label=$LAB_LABEL=1")"
    # shellcheck disable=SC2086
    [[ -z "$ids" ]] || docker rm -f -v $ids >/dev/null
    vols="$(docker volume ls -q --filter "label=$LAB_LABEL=1")"
    # shellcheck disable=SC2086
    [[ -z "$vols" ]] || docker volume rm -f $vols >/dev/null
    rm -rf "${STATE:?}/stacks" "${STATE:?}/seeded" "${STATE:?}/tmp"
    prune_stale_images
  )
  cmd_up "$@"
}

case "${1:-}" in
  up)    shift; cmd_up "$@" ;;
  down)  shift; cmd_down "$@" ;;
  reset) shift; cmd_reset "$@" ;;
  info)  shift; cmd_info "$@" ;;
  -h|--help|help|"") usage ;;
  *) log "unknown command: $1"; usage ;;
esac
