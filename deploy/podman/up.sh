#!/usr/bin/env bash
# Brings up docker-compose.yml's topology with plain podman, in compose's order:
# db, redis (healthy) -> migrate (exits 0) -> web x DEPLOY_WEB_REPLICAS (healthy) -> nginx.
# Environment, healthchecks and commands come from docker-compose.yml itself
# (compose_args.py). podman-compose 1.6 on podman 4.3 ignores `service_healthy` and fails
# on `--scale`, hence plain `podman run`. Only nginx is published, on 127.0.0.1:$HTTP_PORT.
# Restart policies are left out: the deployment test kills and restarts containers itself.
# Every container, the network and the volume are named $PREFIX-*; down.sh removes them.
set -euo pipefail
# shellcheck source=deploy/podman/lib.sh
source "$(dirname "$0")/lib.sh"
write_containers_conf
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
REPLICAS="${DEPLOY_WEB_REPLICAS:-2}"

# compose's required variables: fresh secrets for each run, kept in the state directory.
umask 077
if [ ! -s "$STATE_DIR/secrets.env" ]; then
    printf 'POSTGRES_PASSWORD=%s\nDJANGO_SECRET_KEY=%s\n' \
        "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
        "$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$STATE_DIR/secrets.env"
fi
set -a
# shellcheck source=/dev/null
source "$STATE_DIR/secrets.env"
set +a
# One client sends the fault test's 1,000 predictions through nginx: the anonymous rate
# (compose's default 120/min) would answer most of them 429.
export THROTTLE_ANON="${THROTTLE_ANON:-100000/min}"
for service in db migrate web; do
    "$PYTHON" "$PODMAN_DIR/compose_args.py" "$service" --env-file >"$STATE_DIR/$service.env"
done
umask 022

health() { # service -> its --health-* options as in the compose file
    "$PYTHON" "$PODMAN_DIR/compose_args.py" "$1" --health
}

wait_healthy() { # container [seconds]
    local deadline=$((SECONDS + ${2:-120}))
    until podman healthcheck run "$1" >/dev/null 2>&1; do
        if [ "$(podman inspect --format '{{.State.Running}}' "$1")" != true ]; then
            podman logs --tail 40 "$1" >&2 || true
            log "$1 exited"
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            podman logs --tail 40 "$1" >&2 || true
            log "$1 not healthy after ${2:-120}s"
            return 1
        fi
        sleep 1
    done
    log "$1 healthy"
}

# podman 4.3 schedules periodic healthchecks with systemd timers, which this machine lacks:
# the script and the tests run each check themselves (podman healthcheck run); drop the
# complaint about the timers.
run() {
    podman run "$@" 2> >(grep -v 'unable to get systemd connection' >&2)
}

started=$SECONDS
podman network create "$NETWORK" >/dev/null
# Fixed addresses for the web containers: nginx resolves "web" once, at its start, and a
# web container started again (the fault test does) must come back where nginx looks. The
# MAC address too: with a new one, nginx's container keeps sending to the old one from its
# neighbour cache, and every connect to the restarted container times out.
subnet="$(podman network inspect --format '{{range .Subnets}}{{.Subnet}}{{end}}' "$NETWORK")"
case "$subnet" in
*.0/24) web_net="${subnet%.0/24}" ;;
*) log "unexpected subnet $subnet for $NETWORK"; exit 1 ;;
esac
podman volume create "$PREFIX-pgdata" >/dev/null

mapfile -t db_health < <(health db)
run -d --name "$PREFIX-db" --network "$NETWORK" --network-alias db \
    --env-file "$STATE_DIR/db.env" "${db_health[@]}" \
    --volume "$PREFIX-pgdata:/var/lib/postgresql/data" "$POSTGRES_IMAGE" >/dev/null
mapfile -t redis_health < <(health redis)
run -d --name "$PREFIX-redis" --network "$NETWORK" --network-alias redis \
    "${redis_health[@]}" "$REDIS_IMAGE" >/dev/null
wait_healthy "$PREFIX-db"
wait_healthy "$PREFIX-redis"

log "migrate: migrations, cache table, first model"
mapfile -d '' -t migrate_command < <("$PYTHON" "$PODMAN_DIR/compose_args.py" migrate --command)
run --name "$PREFIX-migrate" --network "$NETWORK" --env-file "$STATE_DIR/migrate.env" \
    "$APP_IMAGE" "${migrate_command[@]}" >"$STATE_DIR/migrate.log" 2>&1 \
    || { tail -n 40 "$STATE_DIR/migrate.log" >&2; log "migrate failed"; exit 1; }

# Web: the image's own CMD and HEALTHCHECK, compose's environment for web (x-app, as for
# migrate), reachable as "web" on the network like compose's scaled service.
for i in $(seq 1 "$REPLICAS"); do
    run -d --name "$PREFIX-web-$i" --network "$NETWORK" --network-alias web \
        --ip "$web_net.$((100 + i))" --mac-address "$(printf '02:53:50:00:00:%02x' "$i")" \
        --env-file "$STATE_DIR/web.env" "$APP_IMAGE" >/dev/null
done
for i in $(seq 1 "$REPLICAS"); do
    wait_healthy "$PREFIX-web-$i"
done

# nginx resolves "web" once, at start, to every web container (as after `docker compose
# up --scale web=N`).
run -d --name "$PREFIX-nginx" --network "$NETWORK" \
    --publish "127.0.0.1:$HTTP_PORT:80" \
    --volume "$ROOT/deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" "$NGINX_IMAGE" >/dev/null
deadline=$((SECONDS + 30))
until curl -fsS -o /dev/null "http://127.0.0.1:$HTTP_PORT/readyz"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
        podman logs --tail 40 "$PREFIX-nginx" >&2 || true
        log "nginx not answering /readyz on 127.0.0.1:$HTTP_PORT"
        exit 1
    fi
    sleep 1
done
log "topology up in $((SECONDS - started))s: http://127.0.0.1:$HTTP_PORT/"
