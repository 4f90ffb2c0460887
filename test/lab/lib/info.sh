# shellcheck shell=bash
# `lab.sh info`: one JSON object on stdout describing the running lab, or a non-zero exit.

# lab_status: empty output when the lab is up, else the reason.
lab_status() {
  docker_up || { echo "the Docker daemon does not answer on /var/run/docker.sock"; return; }
  sshd_running || { echo "the lab's sshd is not running"; return; }
  local g c running
  running="$(running_containers)"
  for g in "${SEED_GROUPS[@]}"; do
    [[ -f "$STATE/seeded/$g" ]] || { echo "the homelab is not seeded ($g missing)"; return; }
    for c in $(group_containers "$g"); do
      [[ "$c" == "$STOPPED_CONTAINER" ]] && continue
      grep -qx -- "$c" <<<"$running" || { echo "container $c is not running"; return; }
    done
  done
}

json_db() { # container engine database user passwordEnv rows-json
  printf '{"container":%s,"engine":%s,"database":%s,"user":%s,"passwordEnv":%s,"rows":%s}' \
    "$(json_str "$1")" "$(json_str "$2")" "$(json_str "$3")" "$(json_str "$4")" "$(json_str "$5")" "$6"
}

json_stack() { # name containers volumes [extra json members]
  local name="$1" dir; dir="$(stack_dir "$1")"
  local -a cs vs
  read -r -a cs <<<"$2"; read -r -a vs <<<"$3"
  printf '{"project":%s,"workingDir":%s,"composeFile":%s,"envFile":%s,"containers":%s,"volumes":%s%s}' \
    "$(json_str "$name")" "$(json_str "$dir")" "$(json_str "$dir/docker-compose.yml")" \
    "$(json_str "$dir/.env")" "$(json_arr "${cs[@]}")" "$(json_arr "${vs[@]}")" "${4:+,$4}"
}

cmd_info() {
  local why; why="$(lab_status)"
  [[ -z "$why" ]] || die "lab is not up: $why. Start it with: npm run lab:up"
  local port fp hostkey wiki_dir
  port="$(configured_ssh_port)"
  fp="$(ssh-keygen -lf "$HOST_KEY.pub" | awk '{print $2}')"
  hostkey="$(cut -d' ' -f1,2 "$HOST_KEY.pub")"
  wiki_dir="$(stack_dir wiki)"

  local ssh docker images stacks scale=""
  ssh="$(printf '{"host":"127.0.0.1","port":%s,"user":"root","identityFile":%s,"encryptedIdentityFile":%s,"encryptedIdentityPassphraseFile":%s,"passwordUser":%s,"passwordFile":%s,"sudoUser":%s,"hostKeyFile":%s,"hostKey":%s,"hostKeyFingerprint":%s,"knownHostsFile":%s}' \
    "$port" "$(json_str "$KEY")" "$(json_str "$KEY_ENC")" "$(json_str "$KEY_ENC_PASS")" \
    "$(json_str "$SSH_PASSWORD_USER")" "$(json_str "$LABUSER_PASS")" "$(json_str "$SSH_SUDO_USER")" "$(json_str "$HOST_KEY.pub")" \
    "$(json_str "$hostkey")" "$(json_str "$fp")" "$(json_str "$KNOWN_HOSTS")")"
  docker="$(printf '{"socket":"/var/run/docker.sock","host":"unix:///var/run/docker.sock","serverVersion":%s}' \
    "$(json_str "$(docker version --format '{{.Server.Version}}')")")"
  images="$(printf '{"postgres":%s,"mariadb":%s,"app":%s,"tools":%s}' "$(json_str "$IMG_POSTGRES")" \
    "$(json_str "$IMG_MARIADB")" "$(json_str "$IMG_APP")" "$(json_str "$IMG_TOOLS")")"

  stacks="$(printf '{"wiki":%s,"shop":%s,"notes":%s,"photos":%s}' \
    "$(json_stack wiki "${STACK_CONTAINERS[wiki]}" "${STACK_VOLUMES[wiki]}" \
      "$(printf '"binds":[{"container":"wiki-app-1","source":%s,"target":"/etc/wiki","readOnly":true}],"databases":[%s],"uploads":{"container":"wiki-app-1","volume":"wiki_uploads","path":"/srv/uploads","bigFile":"big/vm-disk.img","bigFileBytes":67108864}' \
        "$(json_str "$wiki_dir/config")" \
        "$(json_db wiki-db-1 postgres wiki wiki POSTGRES_PASSWORD '{"users":50,"pages":300,"revisions":1200,"attachments":40,"audit.events":500}')")")" \
    "$(json_stack shop "${STACK_CONTAINERS[shop]}" "${STACK_VOLUMES[shop]}" \
      "\"databases\":[$(json_db shop-db-1 postgres chinook shop POSTGRES_PASSWORD "$CHINOOK_ROWS")]")" \
    "$(json_stack notes "${STACK_CONTAINERS[notes]}" "${STACK_VOLUMES[notes]}" \
      "$(printf '"sqlite":[{"container":"notes-app-1","volume":"notes_data","path":"/data/notes.sqlite","rows":%s}]' "$CHINOOK_SQLITE_ROWS")")" \
    "$(json_stack photos "${STACK_CONTAINERS[photos]}" "${STACK_VOLUMES[photos]}" \
      "$(printf '"databases":[%s],"media":{"container":"photos-app-1","volume":"photos_media","path":"/srv/media"}' \
        "$(json_db photos-db-1 mariadb photos photos MARIADB_PASSWORD '{"albums":40,"photos":3000,"tags":4500}')")")")"
  local s
  for s in $(scale_stacks); do
    scale+="${scale:+,}$(json_str "$s"):$(json_stack "$s" "$s-app-1" "${s}_data")"
  done

  printf '{"stateDir":%s,"ssh":%s,"docker":%s,"images":%s,"stacks":%s,"scaleStacks":{%s},"standalone":{"container":%s,"volume":%s},"stopped":{"container":%s},"dangling":{"volume":%s}}\n' \
    "$(json_str "$STATE")" "$ssh" "$docker" "$images" "$stacks" "$scale" \
    "$(json_str "$STANDALONE_CONTAINER")" "$(json_str "$STANDALONE_VOLUME")" \
    "$(json_str "$STOPPED_CONTAINER")" "$(json_str "$DANGLING_VOLUME")"
}
