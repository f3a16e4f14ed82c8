"""A real PostgreSQL server for the deployment tests: Debian's PostgreSQL 15 started without systemd (initdb,
pg_ctl) as the `postgres` user, on 127.0.0.1 and a free port, in a temporary folder, with a role and a
password of its own; stopped and removed afterwards."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BINARIES = [Path("/usr/lib/postgresql/15/bin"), *(Path(p) for p in os.environ.get("PATH", "").split(os.pathsep))]
SERVER_USER = "postgres"  # PostgreSQL refuses to run as root


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str
    password: str
    database: str
    analyst: str
    analyst_password: str

    @property
    def environment(self) -> dict[str, str]:
        """The variables deploy/postgres/dagster.yaml and the analysts' role read."""
        return {"DAGSTER_PG_HOST": self.host, "DAGSTER_PG_PORT": str(self.port), "DAGSTER_PG_USER": self.user,
                "DAGSTER_PG_PASSWORD": self.password, "DAGSTER_PG_DB": self.database,
                "DAGSTER_PG_ANALYST_USER": self.analyst, "DAGSTER_PG_ANALYST_PASSWORD": self.analyst_password}


def binary(name: str) -> Path | None:
    return next((folder / name for folder in BINARIES if (folder / name).is_file()), None)


def why_unavailable() -> str | None:
    """Why no server can be started here, in one sentence, or None."""
    if binary("initdb") is None or binary("pg_ctl") is None:
        return "PostgreSQL is not installed (Debian: apt-get install postgresql)"
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        return f"there is no {SERVER_USER!r} user to run PostgreSQL as"
    if os.geteuid() != 0 and pwd.getpwuid(os.geteuid()).pw_name != SERVER_USER:
        return f"starting PostgreSQL as {SERVER_USER!r} needs root"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_server_user(*command: str, timeout: float = 120) -> None:
    prefix = [] if pwd.getpwuid(os.geteuid()).pw_name == SERVER_USER else ["runuser", "-u", SERVER_USER, "--"]
    done = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stdout}{done.stderr}")


@contextmanager
def postgres_server() -> Iterator[Server]:
    """A running server with a database for Dagster, password authentication on loopback, in a folder of
    its own under the system's temporary folder (a test's tmp_path is not open to the postgres user)."""
    folder = Path(tempfile.mkdtemp(prefix="score_pipeline_postgres_"))
    user = pwd.getpwnam(SERVER_USER)
    os.chown(folder, user.pw_uid, user.pw_gid)
    server = Server("127.0.0.1", free_port(), "dagster", secrets.token_hex(12), "dagster", "analyst",
                    secrets.token_hex(12))
    password_file = folder / "password"
    password_file.write_text(server.password + "\n")
    os.chown(password_file, user.pw_uid, user.pw_gid)
    data = folder / "data"
    as_server_user(str(binary("initdb")), "-D", str(data), "-U", server.user, f"--pwfile={password_file}",
                   "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8")
    password_file.unlink()
    as_server_user(str(binary("pg_ctl")), "-D", str(data), "-l", str(folder / "server.log"), "-w", "-t", "60",
                   "-o", f"-h 127.0.0.1 -p {server.port} -k {folder}", "start")
    try:
        as_server_user(str(binary("createdb")), "-h", str(folder), "-p", str(server.port), "-U", server.user,
                       server.database)
        yield server
    finally:
        as_server_user(str(binary("pg_ctl")), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)
