# shellcheck shell=bash
# Deterministic file trees for the seeded volumes and bind mounts.

# lab_tar DIR UID: reproducible tar stream of DIR (sorted, fixed mtime, owner UID:UID).
lab_tar() {
  chmod 755 "$1"
  tar -C "$1" --sort=name --mtime=@"$SEED_EPOCH" --owner="$2" --group="$2" --numeric-owner \
    --format=gnu -cf - .
}

gen_wiki_config() {
  cat <<'EOF'
# wiki.ini — configuration of the lab's wiki app (bind-mounted at /etc/wiki)
[server]
base_url = https://wiki.lab.test
uploads  = /srv/uploads

[database]
host = db
name = wiki
user = wiki
password_env = WIKI_DB_PASSWORD

[tls]
certificate = /etc/wiki/tls/wiki.crt
private_key = /etc/wiki/tls/wiki.key
EOF
}

# The wiki's uploads: ~340 files, hostile names, links, an empty dir, a 64 MiB binary.
gen_wiki_uploads() {
  local d="$1" i k n
  mkdir -p "$d"/{docs,images,archive/2023/q1,nested/a/b/c/d/e/f/g,empty,.hidden,private,scripts,big}
  for ((i = 1; i <= 200; i++)); do
    printf -v n '%03d' "$i"
    { printf '# Page %s\n\n' "$n"
      for ((k = 0; k <= i % 25; k++)); do printf 'Line %d of page %s: the quick brown fox.\n' "$k" "$n"; done
    } >"$d/docs/page-$n.md"
  done
  for ((i = 1; i <= 60; i++)); do
    printf -v n '%03d' "$i"
    lab_bytes "wiki/img-$n" $((1024 * (1 + (i * 7) % 64))) >"$d/images/img-$n.png"
  done
  for ((i = 1; i <= 50; i++)); do
    printf -v n '%02d' "$i"
    printf 'date,amount\n2023-01-%02d,%d.%02d\n' $((1 + i % 28)) $((i * 37)) $((i % 100)) >"$d/archive/2023/q1/report-$n.csv"
  done
  # Names that break careless shell code, tar invocations or JSON encoders.
  printf 'unicode name\n'        >"$d/café ☕.txt"
  printf 'spaces\n'              >"$d/with space.txt"
  printf 'trailing space\n'      >"$d/trailing space .txt"
  printf 'single quote\n'        >"$d/it's.txt"
  printf 'double quotes\n'       >"$d/say \"hi\".txt"
  printf 'command substitution\n' >"$d/\$(touch pwned).txt"
  printf 'backticks\n'           >"$d/\`touch pwned2\`.txt"
  printf 'semicolon\n'           >"$d/; rm -rf x"
  printf 'leading dash\n'        >"$d/-rf"
  printf 'glob\n'                >"$d/star*.txt"
  printf 'backslash\n'           >"$d/back\\slash.txt"
  printf 'percent\n'             >"$d/100% done.txt"
  mkdir -p "$d/\$(touch /tmp" && printf 'the path is $(touch /tmp/pwned)\n' >"$d/\$(touch /tmp/pwned)"
  mkdir -p "$d/日本語" "$d/emoji 🎉"
  printf 'japanese\n'            >"$d/日本語/ファイル.txt"
  printf 'party\n'               >"$d/emoji 🎉/party.txt"
  printf 'long name\n'           >"$d/long-$(printf 'x%.0s' {1..230}).txt"
  printf 'deep\n'                >"$d/nested/a/b/c/d/e/f/g/deep file with a path longer than one hundred characters in total.txt"
  : >"$d/empty-file.txt"
  printf 'hidden\n'              >"$d/.hidden/settings"
  printf 'private notes\n'       >"$d/private/secret-notes.txt"
  chmod 600 "$d/private/secret-notes.txt"; chmod 700 "$d/private"
  printf '#!/bin/sh\necho cleanup\n' >"$d/scripts/cleanup.sh"; chmod 755 "$d/scripts/cleanup.sh"
  # Links: relative, absolute (points outside the volume), dangling, and a hard link.
  ln -s docs/page-001.md "$d/latest.md"
  ln -s /etc/hosts "$d/hosts-link"
  ln -s does/not/exist "$d/dangling-link"
  ln "$d/docs/page-002.md" "$d/docs/page-002-hardlink.md"
  lab_bytes wiki/vm-disk $((64 * 1024 * 1024)) >"$d/big/vm-disk.img"
}

# The photo gallery's media: 36 deterministic "JPEGs" (16 KiB … 1.5 MiB) and thumbnails.
gen_photos_media() {
  local d="$1" i k n
  mkdir -p "$d/2023" "$d/thumbs"
  for ((i = 1; i <= 36; i++)); do
    printf -v n '%05d' "$i"
    { printf '\xff\xd8\xff\xe0'; lab_bytes "photos/$n" $((16384 * (1 + (i * 37) % 96))); } >"$d/2023/IMG_$n.jpg"
    { printf '\xff\xd8\xff\xe0'; lab_bytes "photos/thumb-$n" 4096; } >"$d/thumbs/IMG_$n.jpg"
  done
}
