# shellcheck shell=bash
# `up --scale N`: exactly N small extra stacks scale01..scaleNN (one busybox container and
# one volume each, compose labels, working dir with docker-compose.yml and .env).

scale_name() { printf 'scale%02d' "$1"; }

# Scale stacks that exist (by working dir or container), sorted.
scale_stacks() {
  { local d
    for d in "$STATE"/stacks/scale*; do [[ "${d##*/}" =~ ^scale[0-9]+$ ]] && echo "${d##*/}"; done
    docker ps -a --filter "label=$LAB_LABEL=1" --format '{{.Label "com.docker.compose.project"}}' \
      | grep -E '^scale[0-9]+$' || true
  } | sort -u
}
scale_containers() { local s; for s in $(scale_stacks); do echo "$s-app-1"; done; }

remove_scale_stack() {
  remove_containers "$1-app-1"
  remove_volumes "$1_data"
  rm -rf "$(stack_dir "$1")" "$STATE/seeded/$1"
}

create_scale_stack() {
  local s="$1" dir tmp
  dir="$(stack_dir "$s")"
  remove_scale_stack "$s"
  install_compose_file "$s" scale
  write_env "$s" "SCALE_TOKEN=$(lab_secret "$s/token" 32)"
  compose_volume "$s" data
  compose_run "$s" app "$IMG_TOOLS" -v "${s}_data:/data" -e "SCALE_TOKEN=$(env_get "$s" SCALE_TOKEN)"
  tmp="$(mktemp -d "$STATE/tmp/$s.XXXXXX")"
  printf 'hello from %s\n' "$s" >"$tmp/hello.txt"
  lab_bytes "$s/blob" 65536 >"$tmp/blob.bin"
  lab_tar "$tmp" 0 | untar_into "$s-app-1" /data
  rm -rf "$tmp"
  touch "$STATE/seeded/$s"
}

ensure_scale() {
  local n="$1" i s existing want=() t0; t0="$(now)"
  [[ "$n" =~ ^[0-9]+$ ]] && ((10#$n <= 99)) || die "--scale wants a number from 0 to 99, got '$n'"
  existing="$(existing_containers)"
  n=$((10#$n))
  for ((i = 1; i <= n; i++)); do want+=("$(scale_name "$i")"); done
  local extra=()
  for s in $(scale_stacks); do in_list "$s" "${want[@]}" || extra+=("$s"); done
  if ((${#extra[@]})); then
    log "removing ${#extra[@]} scale stack(s): ${extra[0]}…${extra[-1]}"
    remove_containers "${extra[@]/%/-app-1}"
    remove_volumes "${extra[@]/%/_data}"
    for s in "${extra[@]}"; do rm -rf "$(stack_dir "$s")" "$STATE/seeded/$s"; done
  fi
  local todo=() pids=() j failed=0
  for s in "${want[@]}"; do
    [[ -f "$STATE/seeded/$s" ]] && grep -qx -- "$s-app-1" <<<"$existing" || todo+=("$s")
  done
  ((${#todo[@]})) || return 0
  log "creating ${#todo[@]} scale stack(s)…"
  # Eight at a time: each is a handful of docker calls, mostly latency.
  for ((j = 0; j < ${#todo[@]}; j++)); do
    ( create_scale_stack "${todo[$j]}" ) >>"$STATE/logs/seed-scale.log" 2>&1 &
    pids+=($!)
    if ((${#pids[@]} == 8 || j == ${#todo[@]} - 1)); then
      for i in "${pids[@]}"; do wait "$i" || failed=1; done
      pids=()
    fi
  done
  ((failed == 0)) || die "creating scale stacks failed (log: $STATE/logs/seed-scale.log)"
  log "created ${#todo[@]} scale stack(s) in $(elapsed "$t0") s"
}
