# shellcheck shell=bash
# Local images, built without any registry: mmdebstrap (or the host's static busybox) makes a
# root filesystem tarball, cached in $STATE/cache; the image's own files are appended to a
# copy of it and `docker import` turns it into an image. Each image carries the label
# org.lifeboat.lab.recipe=<hash of its recipe>, so an edited recipe rebuilds on the next up.

IMAGES=(postgres mariadb app tools)

# Keep images small: no docs, man pages or translations.
DPKG_SLIM=(--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*'
           --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/info/*'
           --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*')
STD_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# A recipe sets: BUILD (mmdebstrap|busybox), MM_ARGS, FILES ("src-under-images/:/abs/dest"),
# CHANGES (docker import --change lines), TAGS, SECS (rough first-build time for the log).
recipe_postgres() {
  BUILD=mmdebstrap SECS=70
  # shellcheck disable=SC2016 # $1 is mmdebstrap's hook argument, expanded by its shell
  MM_ARGS=(--variant=apt --include=postgresql-15 "${DPKG_SLIM[@]}"
    --essential-hook='mkdir -p "$1/etc/postgresql-common/createcluster.d" && echo "create_main_cluster = false" >"$1/etc/postgresql-common/createcluster.d/lab.conf"'
    --customize-hook='rm -rf "$1/var/lib/postgresql/15" "$1/etc/postgresql/15"; mkdir -p "$1/docker-entrypoint-initdb.d"')
  FILES=("postgres/docker-entrypoint.sh:/usr/local/bin/docker-entrypoint.sh")
  CHANGES=("ENV PATH=/usr/lib/postgresql/15/bin:$STD_PATH" 'ENV PGDATA=/var/lib/postgresql/data'
    'ENV LANG=C.UTF-8' 'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["postgres"]'
    'EXPOSE 5432' 'VOLUME /var/lib/postgresql/data')
  TAGS=("$IMG_POSTGRES")
}
recipe_mariadb() {
  BUILD=mmdebstrap SECS=70
  # shellcheck disable=SC2016
  MM_ARGS=(--variant=apt --include=mariadb-server,mariadb-client "${DPKG_SLIM[@]}"
    --customize-hook='rm -rf "$1"/var/lib/mysql/*; mkdir -p "$1/docker-entrypoint-initdb.d"')
  FILES=("mariadb/docker-entrypoint.sh:/usr/local/bin/docker-entrypoint.sh")
  CHANGES=("ENV PATH=$STD_PATH" 'ENV LANG=C.UTF-8' 'ENTRYPOINT ["docker-entrypoint.sh"]'
    'CMD ["mariadbd"]' 'EXPOSE 3306' 'VOLUME /var/lib/mysql')
  TAGS=("$IMG_MARIADB" lifeboat-lab/mariadb:10.11)
}
recipe_app() {
  BUILD=mmdebstrap SECS=50
  MM_ARGS=(--variant=minbase --include=sqlite3 "${DPKG_SLIM[@]}")
  FILES=("common/lab-idle:/usr/local/bin/lab-idle")
  CHANGES=("ENV PATH=$STD_PATH" 'ENV LANG=C.UTF-8' 'CMD ["/usr/local/bin/lab-idle"]')
  TAGS=("$IMG_APP")
}
recipe_tools() {
  BUILD=busybox SECS=3
  MM_ARGS=()
  FILES=("common/lab-idle:/usr/local/bin/lab-idle")
  CHANGES=("ENV PATH=$STD_PATH" 'CMD ["/usr/local/bin/lab-idle"]')
  TAGS=("$IMG_TOOLS")
}

# base_hash / image_hash NAME (after recipe_NAME): 16 hex chars.
base_hash() {
  { printf '%s\0' "$SUITE" "$BUILD" "${MM_ARGS[@]}"
    if [[ "$BUILD" == busybox ]]; then sha256sum </bin/busybox; /bin/busybox --list-full; fi
  } | sha256sum | cut -c1-16
}
image_hash() {
  local f
  { printf '%s\0' "$(base_hash)" "${CHANGES[@]}" "${TAGS[@]}" "${FILES[@]}"
    for f in "${FILES[@]}"; do sha256sum <"$LAB_DIR/images/${f%%:*}"; done
  } | sha256sum | cut -c1-16
}

# The static busybox of the host as a root filesystem tarball.
build_busybox_rootfs() {
  local out="$1" root; root="$(mktemp -d "$STATE/tmp/busybox.XXXXXX")"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,root,tmp,data,proc,sys,dev}
  cp /bin/busybox "$root/bin/busybox"
  local p
  while read -r p; do
    [[ "$p" == bin/busybox || -e "$root/$p" ]] || ln -s /bin/busybox "$root/$p"
  done < <(/bin/busybox --list-full)
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  chmod 1777 "$root/tmp"; chmod 700 "$root/root"
  tar -C "$root" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@"$SEED_EPOCH" -cf "$out" .
  rm -rf "$root"
}

# build_image NAME: make sure the cached base tarball exists, then import the image.
build_image() {
  local name="$1"; "recipe_$name"
  local bh ih; bh="$(base_hash)"; ih="$(image_hash)"
  local base="$STATE/cache/$name-$bh.tar" logf="$STATE/logs/image-$name.log"
  : >"$logf"
  if [[ ! -s "$base" ]]; then
    local t0; t0="$(now)"
    log "building image $name (first time, ~${SECS} s; log: $logf)…"
    rm -f "$base.partial"
    if [[ "$BUILD" == mmdebstrap ]]; then
      # shellcheck disable=SC2086 # LIFEBOAT_LAB_MIRROR: optional mirror list
      logged "$logf" mmdebstrap "${MM_ARGS[@]}" --format=tar "$SUITE" "$base.partial" ${LIFEBOAT_LAB_MIRROR:-}
    else
      logged "$logf" build_busybox_rootfs "$base.partial"
    fi
    mv "$base.partial" "$base"
    find "$STATE/cache" -maxdepth 1 -name "$name-*.tar" ! -name "$name-$bh.tar" -delete
    log "base filesystem of $name ready in $(elapsed "$t0") s"
  fi
  # Copy the base and append the image's own files (entrypoints) to it.
  local stage work="$STATE/tmp/$name-$ih.tar" f src dst
  stage="$(mktemp -d "$STATE/tmp/stage-$name.XXXXXX")"
  cp "$base" "$work"
  local paths=()
  for f in "${FILES[@]}"; do
    src="$LAB_DIR/images/${f%%:*}" dst="${f#*:}"
    install -D -m 0755 "$src" "$stage$dst"
    paths+=(".$dst")
  done
  ((${#paths[@]})) && tar -C "$stage" --append -f "$work" --owner=0 --group=0 --numeric-owner "${paths[@]}"
  local changes=() c
  for c in "${CHANGES[@]}" "LABEL org.lifeboat.lab.recipe=$ih"; do changes+=(--change "$c"); done
  local repo="${TAGS[0]%:*}"
  logged "$logf" docker import "${changes[@]}" -m "lifeboat lab image $name ($ih)" "$work" "$repo:r-$ih"
  for c in "${TAGS[@]}"; do logged "$logf" docker tag "$repo:r-$ih" "$c"; done
  rm -rf "$stage" "$work"
}

# ensure_images: build, in parallel, every image whose recipe hash is not the one tagged.
ensure_images() {
  local name todo=() have want
  for name in "${IMAGES[@]}"; do
    "recipe_$name"; want="$(image_hash)"
    have="$(docker image inspect --format '{{index .Config.Labels "org.lifeboat.lab.recipe"}}' "${TAGS[0]}" 2>/dev/null || true)"
    [[ "$have" == "$want" ]] || todo+=("$name")
  done
  ((${#todo[@]})) || return 0
  local t0 pids=() i failed=0; t0="$(now)"
  log "images to (re)build: ${todo[*]} (in parallel)"
  for name in "${todo[@]}"; do
    ( build_image "$name" ) &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then failed=1; warn "image ${todo[$i]} failed (log: $STATE/logs/image-${todo[$i]}.log)"; fi
  done
  ((failed == 0)) || die "image build failed; check network access to the Debian mirror (or set LIFEBOAT_LAB_MIRROR) and the logs above"
  log "images ready in $(elapsed "$t0") s"
  prune_stale_images
  if [[ -n "$(ls -A "$STATE/seeded" 2>/dev/null)" ]]; then
    warn "images changed while the homelab is seeded: running containers keep the old images until 'lab.sh reset'"
  fi
}

# Drop images of older recipes (docker refuses while containers still use them; reset retries).
prune_stale_images() {
  local name cur tag
  for name in "${IMAGES[@]}"; do
    "recipe_$name"; cur="${TAGS[0]%:*}:r-$(image_hash)"
    for tag in $(docker image ls --format '{{.Repository}}:{{.Tag}}' "${TAGS[0]%:*}" | grep -F ':r-'); do
      [[ "$tag" == "$cur" ]] || docker rmi "$tag" >/dev/null 2>&1 || true
    done
  done
}

image_id() { docker image inspect --format '{{.Id}}' "$1"; }
