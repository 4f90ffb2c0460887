# shellcheck shell=bash
# Shared helpers and the names contract of the Lifeboat test lab.
# Sourced by lab.sh; nothing here has side effects except defining things.

LAB_DIR="${LAB_DIR:?}"                                   # test/lab (set by lab.sh)
REPO_DIR="$(cd "$LAB_DIR/../.." && pwd)"
STATE="${LIFEBOAT_LAB_DIR:-/var/tmp/lifeboat-lab}"
FIXTURES="${LIFEBOAT_LAB_FIXTURES:-$REPO_DIR/../shared/fixtures}"
SUITE=bookworm
COMPOSE_VERSION=2.24.6        # what com.docker.compose.version says
LAB_LABEL=org.lifeboat.lab    # every lab container and volume carries $LAB_LABEL=1

# --- the names contract (other tests rely on these; keep README.md in sync) ---
IMG_POSTGRES=lifeboat-lab/postgres:15
IMG_MARIADB=lifeboat-lab/mariadb:latest
IMG_TOOLS=lifeboat-lab/tools:latest
IMG_APP=lifeboat-lab/app:latest
STACKS=(wiki shop notes photos)
declare -A STACK_CONTAINERS=(
  [wiki]="wiki-db-1 wiki-app-1"
  [shop]="shop-db-1"
  [notes]="notes-app-1"
  [photos]="photos-db-1 photos-app-1"
)
declare -A STACK_VOLUMES=(
  [wiki]="wiki_db wiki_uploads"
  [shop]="shop_db"
  [notes]="notes_data"
  [photos]="photos_db photos_media"
)
STANDALONE_CONTAINER=lab-standalone
STANDALONE_VOLUME=standalone_data
STOPPED_CONTAINER=lab-stopped
DANGLING_VOLUME=lab_dangling
SEED_EPOCH=1704067200          # 2024-01-01T00:00:00Z: mtime of every seeded file

log()  { printf '[lab] %s\n' "$*" >&2; }
warn() { printf '[lab] WARNING: %s\n' "$*" >&2; }
die()  { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }
now()  { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

# Run "$@" with stdout+stderr going to a log file; on failure show its tail and die.
logged() {
  local logf="$1"; shift
  if ! "$@" >>"$logf" 2>&1; then
    tail -n 25 "$logf" | sed 's/^/[lab]   | /' >&2
    die "command failed: $1 … (full log: $logf)"
  fi
}

# Wait until "$@" succeeds; die with $what after $secs seconds.
wait_for() {
  local secs="$1" what="$2"; shift 2
  local end=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) < end )) || die "timed out after ${secs}s waiting for $what"
    sleep 0.3
  done
}

# Deterministic fake secrets: same lab seed -> same .env files, dumps and checksums.
lab_secret() { printf 'lifeboat-lab/%s' "$1" | sha256sum | cut -c1-"${2:-24}"; }

# Deterministic pseudo-random bytes: lab_bytes <name> <count>  (AES-CTR keystream).
lab_bytes() {
  local key iv
  key="$(printf 'key/%s' "$1" | sha256sum | cut -c1-64)"
  iv="$(printf 'iv/%s' "$1" | sha256sum | cut -c1-32)"
  head -c "$2" /dev/zero | openssl enc -aes-256-ctr -nosalt -K "$key" -iv "$iv"
}

# JSON string literal for $1 (enough for paths, names and fingerprints).
json_str() {
  local s="$1"
  s="${s//\\/\\\\}"; s="${s//\"/\\\"}"; s="${s//$'\t'/\\t}"; s="${s//$'\n'/\\n}"
  printf '"%s"' "$s"
}
# JSON array of strings from the arguments.
json_arr() {
  local out="" x
  for x in "$@"; do out+="${out:+,}$(json_str "$x")"; done
  printf '[%s]' "$out"
}

# Names of containers / volumes that exist (one docker call each).
existing_containers() { docker ps -a --format '{{.Names}}'; }
running_containers()  { docker ps --format '{{.Names}}'; }
in_list() { local x="$1"; shift; local y; for y in "$@"; do [[ "$x" == "$y" ]] && return 0; done; return 1; }

ensure_state_dirs() {
  mkdir -p "$STATE"/{cache,logs,keys,authorized_keys,stacks,seeded,tmp}
  # sshd reads labuser's authorized_keys as labuser: the path must be traversable.
  chmod 755 "$STATE" "$STATE/authorized_keys" "$STATE/stacks"
  chmod 700 "$STATE/keys" "$STATE/tmp"
}

# Row counts the seeded databases must have (also published by `info`).
CHINOOK_ROWS='{"album":347,"artist":275,"customer":59,"employee":8,"genre":25,"invoice":412,"invoice_line":2240,"media_type":5,"playlist":18,"playlist_track":8715,"track":3503}'
CHINOOK_SQLITE_ROWS='{"Album":347,"Artist":275,"Customer":59,"Employee":8,"Genre":25,"Invoice":412,"InvoiceLine":2240,"MediaType":5,"Playlist":18,"PlaylistTrack":8715,"Track":3503}'
