#!/usr/bin/env bash
# Removes what up.sh created, by name ($PREFIX-*), and nothing else.
set -euo pipefail
# shellcheck source=deploy/podman/lib.sh
source "$(dirname "$0")/lib.sh"
write_containers_conf
mapfile -t containers < <(podman ps -a --format '{{.Names}}' | grep -E "^$PREFIX-" || true)
if [ "${#containers[@]}" -gt 0 ]; then
    if [ -n "${DEPLOY_LOG_DIR:-}" ]; then
        mkdir -p "$DEPLOY_LOG_DIR"
        for name in "${containers[@]}"; do
            podman logs "$name" >"$DEPLOY_LOG_DIR/$name.log" 2>&1 || true
        done
    fi
    # Exits non-zero when a container needed SIGKILL after the 5 s; what is left counts.
    podman rm -f -t 5 "${containers[@]}" >/dev/null 2>&1 || true
    if podman ps -a --format '{{.Names}}' | grep -qE "^$PREFIX-"; then
        log "could not remove: $(podman ps -a --format '{{.Names}}' | grep -E "^$PREFIX-" | tr '\n' ' ')"
    fi
fi
podman volume rm -f "$PREFIX-pgdata" >/dev/null 2>&1 || true
podman network rm -f "$NETWORK" >/dev/null 2>&1 || true
rm -f "$STATE_DIR/secrets.env"
log "removed ${#containers[@]} containers, the volume and the network ($PREFIX-*)"
