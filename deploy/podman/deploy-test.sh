#!/usr/bin/env bash
# `make deploy-test`: builds the images (build-images.sh), brings up docker-compose.yml's
# topology with podman (up.sh), runs the deployment and fault tests against it
# (tests/deploy, marked `deploy`), and removes every container, the volume and the
# network it made (down.sh), whatever happens. Needs root and Debian's podman, runc and
# debootstrap (.ci/run installs them).
set -euo pipefail
# shellcheck source=deploy/podman/lib.sh
source "$(dirname "$0")/lib.sh"
for tool in podman runc debootstrap; do
    command -v "$tool" >/dev/null || {
        log "$tool is missing: apt-get install -y podman runc debootstrap"
        exit 1
    }
done
write_containers_conf
export DEPLOY_PREFIX="$PREFIX" DEPLOY_HTTP_PORT="$HTTP_PORT" DEPLOY_REQUIRED=1
export DEPLOY_FIGURES="$STATE_DIR/figures.json"
export DEPLOY_LOG_DIR="$STATE_DIR/logs"
rm -rf "$DEPLOY_FIGURES" "$DEPLOY_LOG_DIR"

"$PODMAN_DIR/down.sh" # whatever an interrupted run left
trap '"$PODMAN_DIR/down.sh"' EXIT
trap 'exit 130' INT TERM
if ss -Hltn "sport = :$HTTP_PORT" | grep -q .; then
    log "port $HTTP_PORT is taken on this host: set DEPLOY_HTTP_PORT to a free one"
    exit 1
fi

started=$SECONDS
"$PODMAN_DIR/build-images.sh"
built=$SECONDS
"$PODMAN_DIR/up.sh"
up=$SECONDS
"$ROOT/.venv/bin/python" -m pytest -m deploy -p no:cacheprovider "$ROOT/tests/deploy"
tested=$SECONDS

log "figures ($STATE_DIR):"
{ cat "$STATE_DIR/build-figures" "$DEPLOY_FIGURES"; echo; } >&2
log "images $((built - started))s, topology up $((up - built))s, tests $((tested - up))s," \
    "total $((tested - started))s"
