#!/usr/bin/env bash
# Builds the images the deployment test runs: stand-ins for the Docker Hub base images
# (Debian packages; cached between runs) and our own image from the Dockerfile as it is.
#   deploy/podman/build-images.sh          # DEPLOY_REBUILD_BASE=1 rebuilds the stand-ins
set -euo pipefail
# shellcheck source=deploy/podman/lib.sh
source "$(dirname "$0")/lib.sh"
write_containers_conf

# HTTPS leaves this machine through a proxy whose CA is only in the host's bundle: every
# build step sees that bundle, read-only, where Debian's pip and OpenSSL look for it.
# (Not for the stand-ins: they fetch Debian packages over plain HTTP, and installing
# ca-certificates cannot replace a file mounted over it.)
HOST_CA=/etc/ssl/certs/ca-certificates.crt
build() {
    podman build --isolation chroot --network host --pull=never --format docker "$@"
}

build_debian() {
    local mirror security rootfs
    mirror="$(debian_mirror)"
    security="$(debian_security_mirror)"
    rootfs="$(mktemp -d /var/tmp/studentperf-rootfs.XXXXXX)"
    # A failed debootstrap leaves mounts (proc, sys) under the rootfs; undo them first.
    trap 'umount -R "$rootfs"/proc "$rootfs"/sys 2>/dev/null || true; rm -rf "$rootfs"' RETURN
    log "debootstrap bookworm (minbase) from $mirror"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$STATE_DIR/debootstrap.log" 2>&1 \
        || { tail -n 30 "$STATE_DIR/debootstrap.log" >&2; return 1; }
    {
        echo "deb $mirror bookworm main"
        echo "deb $mirror bookworm-updates main"
        if [ -n "$security" ]; then echo "deb $security bookworm-security main"; fi
    } >"$rootfs/etc/apt/sources.list"
    # As Docker's debian images: no documentation, apt lists and caches not kept.
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/excludes" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CFG
    echo 'APT::Install-Recommends "false";' >"$rootfs/etc/apt/apt.conf.d/90no-recommends"
    chroot "$rootfs" apt-get clean
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
    tar --numeric-owner -C "$rootfs" -c . \
        | podman import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' - "$DEBIAN_IMAGE" >/dev/null
}

build_standin() { # image containerfile
    log "building stand-in $1"
    build --build-arg "BASE=$DEBIAN_IMAGE" -f "$PODMAN_DIR/standin/$2" -t "$1" \
        "$PODMAN_DIR/standin" >"$STATE_DIR/build-${2%%.*}.log" 2>&1 \
        || { tail -n 30 "$STATE_DIR/build-${2%%.*}.log" >&2; return 1; }
}

started=$SECONDS
if [ "${DEPLOY_REBUILD_BASE:-0}" = 1 ]; then
    podman rmi -f "$APP_IMAGE" "$PYTHON_IMAGE" "$POSTGRES_IMAGE" "$REDIS_IMAGE" "$NGINX_IMAGE" \
        "$DEBIAN_IMAGE" >/dev/null 2>&1 || true
fi
image_exists "$DEBIAN_IMAGE" || build_debian
image_exists "$PYTHON_IMAGE" || build_standin "$PYTHON_IMAGE" python.Containerfile
image_exists "$POSTGRES_IMAGE" || build_standin "$POSTGRES_IMAGE" postgres.Containerfile
image_exists "$REDIS_IMAGE" || build_standin "$REDIS_IMAGE" redis.Containerfile
image_exists "$NGINX_IMAGE" || build_standin "$NGINX_IMAGE" nginx.Containerfile
base_seconds=$((SECONDS - started))
log "stand-in base images ready in ${base_seconds}s"

started=$SECONDS
previous="$(podman image inspect --format '{{.Id}}' "$APP_IMAGE" 2>/dev/null || true)"
log "building $APP_IMAGE from the Dockerfile"
build --volume "$HOST_CA:$HOST_CA:ro" -t "$APP_IMAGE" -f "$ROOT/Dockerfile" "$ROOT" >"$STATE_DIR/build-app.log" 2>&1 \
    || { tail -n 40 "$STATE_DIR/build-app.log" >&2; exit 1; }
app_seconds=$((SECONDS - started))
# The image the tag pointed to before, if nothing else uses it: otherwise every run leaves
# one behind. (Not `podman image prune`: the build stage's untagged layers are the cache
# that makes the next build quick.)
if [ -n "$previous" ] && [ "$previous" != "$(podman image inspect --format '{{.Id}}' "$APP_IMAGE")" ]; then
    podman rmi "$previous" >/dev/null 2>&1 || true
fi
size="$(podman image inspect --format '{{.Size}}' "$APP_IMAGE")"
log "built $APP_IMAGE in ${app_seconds}s, $((size / 1000000)) MB"
printf 'base_seconds=%s\napp_build_seconds=%s\napp_image_bytes=%s\n' \
    "$base_seconds" "$app_seconds" "$size" >"$STATE_DIR/build-figures"
