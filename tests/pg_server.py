"""A throwaway PostgreSQL server for tests: ``initdb`` and ``postgres`` on a free port in a temp dir.

Debian's PostgreSQL 15 (``.ci/postgres.sh`` installs it; CI runs that first). The server
refuses to run as root, so as root it runs as the ``postgres`` user (``setpriv``), with a
parent-death signal so that a killed test run cannot leave it behind. It listens on every
address (replicas in other network namespaces reach it over their veth link) and accepts
password logins only, with a password that tests check never leaks. It runs in the
foreground as a child of the test process; readiness is its own "ready to accept
connections" line, so nothing polls.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

__all__ = ["PG_BIN", "PostgresServer", "start_postgres", "free_port"]

PG_BIN = Path("/usr/lib/postgresql/15/bin")
READY = b"database system is ready to accept connections"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres() -> list[str]:
    """The prefix that runs a command as a user PostgreSQL accepts."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail("running as root, PostgreSQL needs the 'postgres' user: run .ci/postgres.sh (apt-get install "
                    "postgresql creates it)")
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--pdeathsig=KILL"]


class PostgresServer:
    def __init__(self, root: Path, port: int, password: str, *, durable: bool = False) -> None:
        self.durable = durable
        self.root = root
        self.port = port
        self.password = password
        self.process: subprocess.Popen[bytes] | None = None
        self.log = bytearray()

    def url(self, dbname: str = "postgres", host: str = "127.0.0.1") -> str:
        return f"postgresql://postgres:{self.password}@{host}:{self.port}/{dbname}"

    def start(self) -> None:
        cmd = [*_as_postgres(), str(PG_BIN / "postgres"), "-D", str(self.root / "data"), "-p", str(self.port),
               "-k", str(self.root), "-c", "listen_addresses=*"]
        if not self.durable:  # tests: speed over crash safety
            cmd += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        self.process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        ready = threading.Event()

        def drain(stream) -> None:  # type: ignore[no-untyped-def]
            for line in iter(stream.readline, b""):
                self.log += line
                if READY in line:
                    ready.set()
            ready.set()

        threading.Thread(target=drain, args=(self.process.stderr,), daemon=True).start()
        if not ready.wait(30) or self.process.poll() is not None:
            raise RuntimeError(f"PostgreSQL did not start:\n{self.log.decode(errors='replace')}")

    def stop(self) -> None:
        """Fast shutdown: open connections are closed by the server, as in a real outage."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def create_database(self, name: str | None = None) -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        name = name or f"t_{secrets.token_hex(6)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name


def start_postgres(*, durable: bool = False) -> PostgresServer:
    """initdb + start. Fails (never skips) with what to run when PostgreSQL is not installed.

    ``durable``: PostgreSQL's default crash safety (fsync on every commit), for fair benchmarks.
    """
    for tool in ("initdb", "postgres"):
        if not (PG_BIN / tool).exists():
            pytest.fail(f"PostgreSQL 15 is not installed ({PG_BIN / tool} is missing): run .ci/postgres.sh "
                        "(apt-get install postgresql); CI installs it before the tests")
    root = Path(tempfile.mkdtemp(prefix="novita-pg-"))
    password = f"pw-{secrets.token_hex(8)}-DO-NOT-LEAK"
    (root / "pw").write_text(password)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(root / "pw", "postgres")
    root.chmod(0o700)
    done = subprocess.run([*_as_postgres(), str(PG_BIN / "initdb"), "-D", str(root / "data"), "-U", "postgres",
                           "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={root / 'pw'}", "-N"],
                          capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed:\n{done.stderr.decode(errors='replace')}")
    # Replicas in other network namespaces come from their veth addresses, with the password.
    with (root / "data" / "pg_hba.conf").open("a") as hba:
        hba.write("host all all 0.0.0.0/0 scram-sha-256\n")
    server = PostgresServer(root, free_port(), password, durable=durable)
    server.start()
    return server


def remove(server: PostgresServer) -> None:
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)
