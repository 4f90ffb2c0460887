# shellcheck shell=bash
# The seeded homelab: stacks wiki, shop, notes, photos, plus the "extras" (a standalone
# container, a stopped container and a dangling volume). Everything here is deterministic
# except the wiki's TLS pair, which is generated once per state dir (in $STATE/pki).
# Per group: start_<group> creates volumes + containers, fill_<group> loads the data.
# shellcheck source=files.sh
source "$LAB_DIR/lib/files.sh"

SEED_GROUPS=("${STACKS[@]}" extras)

group_containers() {
  if [[ "$1" == extras ]]; then echo "$STANDALONE_CONTAINER $STOPPED_CONTAINER"; else echo "${STACK_CONTAINERS[$1]}"; fi
}
group_volumes() {
  if [[ "$1" == extras ]]; then echo "$STANDALONE_VOLUME $DANGLING_VOLUME"; else echo "${STACK_VOLUMES[$1]}"; fi
}

# ---------------------------------------------------------------- wiki
start_wiki() {
  install_compose_file wiki
  write_env wiki "WIKI_DB_PASSWORD=$(lab_secret wiki/db)" "WIKI_SECRET_KEY=$(lab_secret wiki/secret-key 48)"
  local dir; dir="$(stack_dir wiki)"
  ensure_wiki_pki
  mkdir -p "$dir/config/tls"
  gen_wiki_config >"$dir/config/wiki.ini"
  install -m 0644 "$STATE/pki/wiki.crt" "$dir/config/tls/wiki.crt"
  install -m 0600 "$STATE/pki/wiki.key" "$dir/config/tls/wiki.key"
  find "$dir/config" -exec touch -h -d "@$SEED_EPOCH" {} +
  compose_volume wiki db
  compose_volume wiki uploads
  compose_run wiki db "$IMG_POSTGRES" -v wiki_db:/var/lib/postgresql/data \
    -e POSTGRES_USER=wiki -e "POSTGRES_PASSWORD=$(env_get wiki WIKI_DB_PASSWORD)" -e POSTGRES_DB=wiki
  compose_run wiki app "$IMG_APP" depends_on=db:service_started:false \
    -v wiki_uploads:/srv/uploads -v "$dir/config:/etc/wiki:ro" \
    -e "WIKI_DB_PASSWORD=$(env_get wiki WIKI_DB_PASSWORD)" -e "WIKI_SECRET_KEY=$(env_get wiki WIKI_SECRET_KEY)" \
    -e WIKI_DB_HOST=db -e WIKI_DB_NAME=wiki -e WIKI_DB_USER=wiki -e WIKI_UPLOADS=/srv/uploads
}
fill_wiki() {
  local tmp; tmp="$(mktemp -d "$STATE/tmp/wiki-uploads.XXXXXX")"
  gen_wiki_uploads "$tmp"
  lab_tar "$tmp" 33 | untar_into wiki-app-1 /srv/uploads
  rm -rf "$tmp"
  wait_db wiki-db-1
  docker exec -i wiki-db-1 psql -q -v ON_ERROR_STOP=1 -U wiki -d wiki <"$LAB_DIR/seed/wiki.sql"
}

ensure_wiki_pki() {
  [[ -s "$STATE/pki/wiki.key" && -s "$STATE/pki/wiki.crt" ]] && return 0
  mkdir -p "$STATE/pki"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj '/CN=wiki.lab.test' -addext 'subjectAltName=DNS:wiki.lab.test' \
    -keyout "$STATE/pki/wiki.key" -out "$STATE/pki/wiki.crt" 2>/dev/null
}

# ---------------------------------------------------------------- shop
start_shop() {
  install_compose_file shop
  write_env shop "SHOP_DB_PASSWORD=Ch1n00k-$(lab_secret shop/db 16)&%!"
  compose_volume shop db
  compose_run shop db "$IMG_POSTGRES" -v shop_db:/var/lib/postgresql/data \
    -e POSTGRES_USER=shop -e "POSTGRES_PASSWORD=$(env_get shop SHOP_DB_PASSWORD)" -e POSTGRES_DB=chinook
}
fill_shop() {
  local sql="$FIXTURES/chinook/Chinook_PostgreSql.sql"
  [[ -r "$sql" ]] || die "Chinook fixture missing: $sql (set LIFEBOAT_LAB_FIXTURES)"
  wait_db shop-db-1
  # The script drops and recreates database chinook itself, so run it from database postgres.
  docker exec -i shop-db-1 psql -q -v ON_ERROR_STOP=1 -U shop -d postgres <"$sql" >/dev/null
}

# ---------------------------------------------------------------- notes
start_notes() {
  install_compose_file notes
  write_env notes "NOTES_API_TOKEN=$(lab_secret notes/api-token 40)"
  compose_volume notes data
  compose_run notes app "$IMG_APP" -v notes_data:/data \
    -e "NOTES_API_TOKEN=$(env_get notes NOTES_API_TOKEN)" -e NOTES_DB=/data/notes.sqlite
}
fill_notes() {
  local sqlite="$FIXTURES/chinook/Chinook_Sqlite.sqlite"
  [[ -r "$sqlite" ]] || die "Chinook fixture missing: $sqlite (set LIFEBOAT_LAB_FIXTURES)"
  local tmp; tmp="$(mktemp -d "$STATE/tmp/notes.XXXXXX")"
  install -m 0644 "$sqlite" "$tmp/notes.sqlite"
  printf 'Notes app data. notes.sqlite is the Chinook sample database (MIT).\n' >"$tmp/README.txt"
  mkdir -p "$tmp/attachments"
  printf '# Shopping list\n\n- coffee ☕\n- new backup disk\n' >"$tmp/attachments/shopping list.md"
  lab_tar "$tmp" 0 | untar_into notes-app-1 /data
  rm -rf "$tmp"
}

# ---------------------------------------------------------------- photos
start_photos() {
  install_compose_file photos
  write_env photos "PHOTOS_DB_ROOT_PASSWORD=$(lab_secret photos/db-root)" \
    "PHOTOS_DB_PASSWORD=$(lab_secret photos/db)" "PHOTOS_S3_SECRET=$(lab_secret photos/s3 40)"
  compose_volume photos db
  compose_volume photos media
  compose_run photos db "$IMG_MARIADB" -v photos_db:/var/lib/mysql \
    -e "MARIADB_ROOT_PASSWORD=$(env_get photos PHOTOS_DB_ROOT_PASSWORD)" -e MARIADB_DATABASE=photos \
    -e MARIADB_USER=photos -e "MARIADB_PASSWORD=$(env_get photos PHOTOS_DB_PASSWORD)"
  compose_run photos app "$IMG_APP" depends_on=db:service_started:false -v photos_media:/srv/media \
    -e "PHOTOS_DB_ROOT_PASSWORD=$(env_get photos PHOTOS_DB_ROOT_PASSWORD)" \
    -e "PHOTOS_DB_PASSWORD=$(env_get photos PHOTOS_DB_PASSWORD)" \
    -e "PHOTOS_S3_SECRET=$(env_get photos PHOTOS_S3_SECRET)" \
    -e PHOTOS_DB_HOST=db -e PHOTOS_MEDIA=/srv/media
}
fill_photos() {
  local tmp; tmp="$(mktemp -d "$STATE/tmp/photos.XXXXXX")"
  gen_photos_media "$tmp"
  lab_tar "$tmp" 1000 | untar_into photos-app-1 /srv/media
  rm -rf "$tmp"
  wait_db photos-db-1
  # shellcheck disable=SC2016 # expanded inside the container
  docker exec -i photos-db-1 sh -c 'MYSQL_PWD="$MARIADB_PASSWORD" exec mariadb -uphotos photos' <"$LAB_DIR/seed/photos.sql"
}

# ---------------------------------------------------------------- extras (no compose)
start_extras() {
  docker volume create --label "$LAB_LABEL=1" "$STANDALONE_VOLUME" >/dev/null
  docker volume create --label "$LAB_LABEL=1" "$DANGLING_VOLUME" >/dev/null
  docker run -d --name "$STANDALONE_CONTAINER" --network none --restart unless-stopped \
    --label "$LAB_LABEL=1" -v "$STANDALONE_VOLUME:/data" "$IMG_TOOLS" >/dev/null
  docker create --name "$STOPPED_CONTAINER" --network none --label "$LAB_LABEL=1" \
    "$IMG_TOOLS" sh -c 'echo "lab-stopped ran once and exited"' >/dev/null
  docker start -a "$STOPPED_CONTAINER" >/dev/null
}
fill_extras() {
  local tmp; tmp="$(mktemp -d "$STATE/tmp/extras.XXXXXX")"
  mkdir -p "$tmp/standalone" "$tmp/dangling"
  printf 'standalone container data\n' >"$tmp/standalone/hello.txt"
  lab_bytes standalone/blob 200000 >"$tmp/standalone/blob.bin"
  printf 'left behind by a removed container\n' >"$tmp/dangling/orphan.txt"
  lab_tar "$tmp/standalone" 0 | untar_into "$STANDALONE_CONTAINER" /data
  lab_tar "$tmp/dangling" 0 | docker run --rm -i --network none -v "$DANGLING_VOLUME:/data" \
    "$IMG_TOOLS" tar -x -f - -C /data
  rm -rf "$tmp"
}

# ---------------------------------------------------------------- orchestration
# clean_group GROUP: remove what a half-made or stale group left behind.
clean_group() {
  # shellcheck disable=SC2046
  remove_containers $(group_containers "$1")
  # shellcheck disable=SC2046
  remove_volumes $(group_volumes "$1")
  [[ "$1" == extras ]] || rm -rf "$(stack_dir "$1")"
  rm -f "$STATE/seeded/$1"
}

# ensure_seed: seed missing groups; start stopped containers of seeded ones; wait for DBs.
ensure_seed() {
  local existing running g c todo=() ok
  existing="$(existing_containers)"
  for g in "${SEED_GROUPS[@]}"; do
    ok=1
    [[ -f "$STATE/seeded/$g" ]] || ok=0
    for c in $(group_containers "$g"); do grep -qx -- "$c" <<<"$existing" || ok=0; done
    ((ok)) || todo+=("$g")
  done
  if ((${#todo[@]})); then
    local t0 pids=() i failed=0; t0="$(now)"
    log "seeding the homelab: ${todo[*]}…"
    for g in "${todo[@]}"; do clean_group "$g"; done
    for g in "${todo[@]}"; do "start_$g"; done
    for g in "${todo[@]}"; do
      ( fill_"$g"; touch "$STATE/seeded/$g" ) >"$STATE/logs/seed-$g.log" 2>&1 &
      pids+=($!)
    done
    for i in "${!pids[@]}"; do
      if ! wait "${pids[$i]}"; then
        failed=1
        tail -n 15 "$STATE/logs/seed-${todo[$i]}.log" | sed 's/^/[lab]   | /' >&2
        warn "seeding ${todo[$i]} failed (log: $STATE/logs/seed-${todo[$i]}.log)"
      fi
    done
    ((failed == 0)) || die "seeding failed; run 'lab.sh reset' after fixing the cause"
    log "homelab seeded in $(elapsed "$t0") s"
  fi
  start_stopped_lab_containers
}

# Everything the lab runs should be running (after `down`, a reboot, a test's docker stop).
start_stopped_lab_containers() {
  local running want=() c g
  running="$(running_containers)"
  for g in "${SEED_GROUPS[@]}"; do
    for c in $(group_containers "$g"); do
      [[ "$c" == "$STOPPED_CONTAINER" ]] && continue
      grep -qx -- "$c" <<<"$running" || want+=("$c")
    done
  done
  for c in $(scale_containers); do grep -qx -- "$c" <<<"$running" || want+=("$c"); done
  if ((${#want[@]})); then
    log "starting ${#want[@]} stopped lab container(s)"
    docker start "${want[@]}" >/dev/null
  fi
  # Databases may still be starting even when their containers run (dockerd restarted them).
  for g in "${SEED_GROUPS[@]}"; do
    for c in $(group_containers "$g"); do
      [[ "$c" == "$STOPPED_CONTAINER" ]] || wait_db "$c"
    done
  done
}
