# shellcheck shell=bash
# Make containers and volumes look exactly like `docker compose up` made them (labels,
# names), without needing the compose plugin (Debian's docker.io does not ship it).

stack_dir() { printf '%s/stacks/%s' "$STATE" "$1"; }

# compose_volume PROJECT KEY -> creates volume PROJECT_KEY with compose's labels.
compose_volume() {
  local project="$1" key="$2"
  docker volume create \
    --label "com.docker.compose.project=$project" \
    --label "com.docker.compose.volume=$key" \
    --label "com.docker.compose.version=$COMPOSE_VERSION" \
    --label "$LAB_LABEL=1" \
    "${project}_${key}" >/dev/null
}

# compose_run PROJECT SERVICE IMAGE [docker run options…] [-- command…]
# Starts PROJECT-SERVICE-1 detached, without network, with compose's labels.
compose_run() {
  local project="$1" service="$2" image="$3"; shift 3
  local opts=() cmd=()
  while (($#)); do
    if [[ "$1" == -- ]]; then shift; cmd=("$@"); break; fi
    opts+=("$1"); shift
  done
  local dir; dir="$(stack_dir "$project")"
  local cfg="$dir/docker-compose.yml" depends="" o
  for o in "${opts[@]}"; do [[ "$o" == depends_on=* ]] && depends="${o#depends_on=}"; done
  local clean=(); for o in "${opts[@]}"; do [[ "$o" == depends_on=* ]] || clean+=("$o"); done
  local hash; hash="$(printf '%s\0' "$project" "$service" "$image" "${clean[@]}" "${cmd[@]}" | sha256sum | cut -d' ' -f1)"
  docker run -d --name "$project-$service-1" --network none --restart unless-stopped \
    --label "com.docker.compose.project=$project" \
    --label "com.docker.compose.service=$service" \
    --label "com.docker.compose.project.working_dir=$dir" \
    --label "com.docker.compose.project.config_files=$cfg" \
    --label "com.docker.compose.container-number=1" \
    --label "com.docker.compose.oneoff=False" \
    --label "com.docker.compose.version=$COMPOSE_VERSION" \
    --label "com.docker.compose.config-hash=$hash" \
    --label "com.docker.compose.depends_on=$depends" \
    --label "com.docker.compose.image=$(image_id "$image")" \
    --label "$LAB_LABEL=1" \
    "${clean[@]}" "$image" "${cmd[@]}" >/dev/null
}

# install_compose_file STACK [TEMPLATE]: copy test/lab/stacks/TEMPLATE/docker-compose.yml
install_compose_file() {
  local dir; dir="$(stack_dir "$1")"
  mkdir -p "$dir"
  install -m 0644 "$LAB_DIR/stacks/${2:-$1}/docker-compose.yml" "$dir/docker-compose.yml"
  touch -d "@$SEED_EPOCH" "$dir/docker-compose.yml"
}

# write_env STACK "KEY=value"…: the stack's .env (secrets; 0600 like a careful operator's).
write_env() {
  local dir; dir="$(stack_dir "$1")"; shift
  mkdir -p "$dir"
  { printf '# Lab fixture secrets (fake, deterministic). Read by docker compose.\n'
    printf '%s\n' "$@"; } >"$dir/.env"
  chmod 600 "$dir/.env"
  touch -d "@$SEED_EPOCH" "$dir/.env"
}

# env_get STACK KEY: a value back from the stack's .env.
env_get() { sed -n "s/^$2=//p" "$(stack_dir "$1")/.env"; }

# Pipe a tar stream into a path inside a container (extracted by the container's tar as
# root, so ownership in the stream is kept).
untar_into() { docker exec -i "$1" tar -x -f - -C "$2"; }

# Readiness: the real server, not the entrypoint's temporary socket-only one (TCP on 127.0.0.1
# inside the container's own network namespace).
pg_ready() { docker exec "$1" pg_isready -q -h 127.0.0.1 -p 5432; }
mariadb_ready() {
  # shellcheck disable=SC2016 # expanded inside the container
  docker exec "$1" sh -c 'MYSQL_PWD="$MARIADB_ROOT_PASSWORD" exec mariadb-admin --protocol=tcp -h127.0.0.1 -uroot ping' 2>/dev/null \
    | grep -q 'is alive'
}
wait_db() {
  case "$1" in
    *-db-1) if [[ "$(docker inspect -f '{{.Config.Image}}' "$1")" == *mariadb* ]]; then
              wait_for 120 "MariaDB in $1 (docker logs $1)" mariadb_ready "$1"
            else
              wait_for 120 "PostgreSQL in $1 (docker logs $1)" pg_ready "$1"
            fi ;;
  esac
}

# remove_lab_objects NAMES… : containers (with their anonymous volumes) and then volumes
remove_containers() { (($#)) && docker rm -f -v "$@" >/dev/null 2>&1 || true; }
remove_volumes()    { (($#)) && docker volume rm -f "$@" >/dev/null 2>&1 || true; }
