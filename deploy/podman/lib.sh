# Shared by the podman scripts: names, ports, the containers.conf they run under.
# Sourced, not run. Everything the scripts create is named with $PREFIX, so teardown
# removes exactly that and nothing else on the machine.

PODMAN_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$PODMAN_DIR/../.." && pwd)"
PREFIX="${DEPLOY_PREFIX:-studentperf-dt}"
NETWORK="$PREFIX-net"
# Only nginx is published, on loopback; 8080 is docker-compose.yml's default, taken on
# many machines, and 5432/6379 are this machine's own PostgreSQL and Redis.
HTTP_PORT="${DEPLOY_HTTP_PORT:-18080}"
STATE_DIR="${DEPLOY_STATE_DIR:-$ROOT/.deploy-test}"
# The stand-in images are cached under these names between runs; DEPLOY_REBUILD_BASE=1
# rebuilds them.
DEBIAN_IMAGE="localhost/studentperf-standin/debian:bookworm"
PYTHON_IMAGE="docker.io/library/python:3.11-slim"
POSTGRES_IMAGE="localhost/studentperf-standin/postgres:bookworm"
REDIS_IMAGE="localhost/studentperf-standin/redis:bookworm"
NGINX_IMAGE="localhost/studentperf-standin/nginx:bookworm"
APP_IMAGE="localhost/studentperf:latest"

log() { printf '[deploy %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# runc: Debian's default crun fails here ("cgroups in hybrid mode not supported").
# Without explicit ulimits, runc cannot raise RLIMIT_NOFILE/NPROC past the host's hard
# limit and every container fails to start ("setrlimit ... Operation not permitted").
write_containers_conf() {
    mkdir -p "$STATE_DIR"
    local nofile
    nofile="$(ulimit -Hn)"
    cat >"$STATE_DIR/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=32768:32768"]

[engine]
runtime = "runc"
CONF
    export CONTAINERS_CONF="$STATE_DIR/containers.conf"
}

# The Debian mirror this machine's apt uses (deb822 or one-line sources).
debian_mirror() {
    local uri
    uri="$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)"
    if [ -z "$uri" ]; then
        uri="$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)"
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

image_exists() { podman image exists "$1"; }

# The security suite's mirror, when this machine's apt has one.
debian_security_mirror() {
    grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
        /etc/apt/sources.list.d/*.list 2>/dev/null \
        | awk '{print $2}' | grep -E '/debian-security/?$' | head -n1 || true
}
