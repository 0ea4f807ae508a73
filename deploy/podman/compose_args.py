"""podman run arguments for one service of docker-compose.yml, so that what the podman
scripts run is what the compose file says: the same environment (with compose's
${VAR}, ${VAR:-default} and ${VAR:?message} filled in from this environment), the same
healthcheck and the same command.

    python compose_args.py SERVICE --env-file # its environment, NAME=value lines
    python compose_args.py SERVICE --health   # --health-... options, one a line
    python compose_args.py SERVICE --command  # its command, NUL-separated
"""

import json
import os
import re
import sys
from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parent.parent.parent / "docker-compose.yml"
_VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def interpolate(value: str) -> str:
    def replace(match: re.Match) -> str:
        name, kind, rest = match.groups()
        found = os.environ.get(name, "")
        if found:
            return found
        if kind == "?":
            sys.exit(f"{COMPOSE.name}: {name}: {rest}")
        return rest if kind == "-" else ""

    return _VARIABLE.sub(replace, str(value))


def environment(service: dict) -> list[str]:
    return [f"{name}={interpolate(value)}" for name, value in service["environment"].items()]


def health_options(service: dict) -> list[str]:
    check = service.get("healthcheck")
    if not check:
        return []
    kind, *test = check["test"]
    # podman's --health-cmd takes a shell string, or an exec form as a JSON list.
    command = test[0] if kind == "CMD-SHELL" else json.dumps(test)
    return [
        f"--health-cmd={command}",
        f"--health-interval={check['interval']}",
        f"--health-timeout={check['timeout']}",
        f"--health-retries={check['retries']}",
    ]


def main() -> None:
    name, mode = sys.argv[1:]
    service = yaml.safe_load(COMPOSE.read_text())["services"][name]
    if mode == "--command":
        command = service.get("command") or []
        sys.stdout.write("".join(f"{interpolate(part)}\0" for part in command))
    elif mode == "--env-file":
        print("\n".join(environment(service)))
    elif mode == "--health":
        print("\n".join(health_options(service)))
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
