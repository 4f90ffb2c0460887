# shellcheck shell=bash
# Debian packages the lab needs, and the Docker daemon.

LAB_PACKAGES=(docker.io openssh-server openssh-client mmdebstrap busybox-static sqlite3
              openssl ca-certificates util-linux passwd tar coreutils findutils gzip sudo)

ensure_packages() {
  [[ $EUID -eq 0 ]] || die "the lab must run as root (it installs packages, starts dockerd and sshd)"
  command -v dpkg-query >/dev/null || die "this lab needs a Debian (bookworm) machine: dpkg-query not found"
  local missing=() p status
  local -A have=()
  while read -r status p; do have[$p]="$status"; done \
    < <(dpkg-query -W -f='${db:Status-Status} ${Package}\n' "${LAB_PACKAGES[@]}" 2>/dev/null || true)
  for p in "${LAB_PACKAGES[@]}"; do
    [[ "${have[$p]:-}" == installed ]] || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  log "installing Debian packages: ${missing[*]} (first time, ~1 min)…"
  local logf="$STATE/logs/apt.log"
  export DEBIAN_FRONTEND=noninteractive
  logged "$logf" apt-get update
  logged "$logf" apt-get install -y --no-install-recommends "${missing[@]}"
}

DOCKER_PIDFILE=/var/run/docker.pid   # written by dockerd itself

docker_up() { timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

ensure_dockerd() {
  docker_up && return 0
  if [[ -S /var/run/docker.sock ]] && [[ -s "$DOCKER_PIDFILE" ]] && kill -0 "$(cat "$DOCKER_PIDFILE")" 2>/dev/null; then
    die "a dockerd (pid $(cat "$DOCKER_PIDFILE")) is running but does not answer on /var/run/docker.sock; fix or stop it first"
  fi
  command -v dockerd >/dev/null || die "dockerd not found although docker.io is installed?"
  log "starting dockerd (--bridge=none, no iptables), log: $STATE/logs/dockerd.log"
  # setsid + nohup: the daemon must outlive this script and the npm process around it.
  # 9>&- : the daemon must not inherit the lab lock, or it would hold it for its lifetime.
  setsid nohup dockerd --bridge=none --iptables=false --ip-masq=false \
    >>"$STATE/logs/dockerd.log" 2>&1 </dev/null 9>&- &
  echo $! >"$STATE/dockerd.pid"
  touch "$STATE/dockerd.started-by-lab"
  local end=$(( $(date +%s) + 60 ))
  until docker_up; do
    if ! kill -0 "$(cat "$STATE/dockerd.pid")" 2>/dev/null; then
      tail -n 20 "$STATE/logs/dockerd.log" | sed 's/^/[lab]   | /' >&2
      die "dockerd exited during startup (see $STATE/logs/dockerd.log)"
    fi
    (( $(date +%s) < end )) || die "dockerd did not answer within 60 s (see $STATE/logs/dockerd.log)"
    sleep 0.3
  done
  # dockerd writes its own pid file; prefer it (it is the daemon, whatever wrapped it).
  [[ -s "$DOCKER_PIDFILE" ]] && cp "$DOCKER_PIDFILE" "$STATE/dockerd.pid"
  log "dockerd is up"
}

stop_dockerd_if_ours() {
  [[ -f "$STATE/dockerd.started-by-lab" ]] || return 0
  local pid; pid="$(cat "$STATE/dockerd.pid" 2>/dev/null || true)"
  # Only a live process that is a dockerd (a stale pid may have been reused since).
  if [[ -n "$pid" ]] && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == dockerd ]]; then
    log "stopping dockerd (pid $pid, started by the lab)"
    kill "$pid"
    local i; for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && warn "dockerd $pid still running after 20 s"
  fi
  rm -f "$STATE/dockerd.started-by-lab" "$STATE/dockerd.pid"
}
