"""The server under test: ``chargeplane serve`` on a fresh SQLite file or PostgreSQL database,
the baseline server, or any CSMS URL."""

# ruff: noqa: T201  (a benchmark prints its figures)
from __future__ import annotations

import asyncio
import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import psutil

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def log(msg: str) -> None:
    from datetime import datetime

    print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """The server under test: a process we started (chargeplane or the baseline), or a URL."""

    kind: str  # "chargeplane" | "baseline" | "target"
    ocpp_url: str
    http_base: str | None = None
    proc: subprocess.Popen[bytes] | None = None
    workdir: Path | None = None
    db_url: str | None = None
    api_key: str | None = None
    log_path: Path | None = None
    pg_admin: str | None = None
    pg_db: str | None = None
    argv: list[str] | None = None
    env: dict[str, str] | None = None
    restarts: int = 0

    def restart(self) -> None:
        """Stop the process and start it again on the same port and store (a fresh heap for
        the next phases; the data stays for the audit)."""
        if self.proc is None or self.argv is None:
            return
        self.stop()
        self.restarts += 1
        assert self.log_path is not None
        with self.log_path.open("ab") as fh:
            self.proc = subprocess.Popen(
                self.argv, env=self.env, cwd=self.workdir, stdout=fh, stderr=subprocess.STDOUT
            )
        u = urlparse(self.ocpp_url)
        if self.http_base:
            _wait_http(self.http_base, time.time() + 90, self.proc)
        else:
            _wait_tcp(u.hostname or "127.0.0.1", u.port or 80, time.time() + 30, self.proc)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def ps(self) -> psutil.Process | None:
        return psutil.Process(self.proc.pid) if self.proc else None

    def alive(self) -> bool:
        return self.proc is None or self.proc.poll() is None

    def rss(self) -> int | None:
        p = self.ps()
        return p.memory_info().rss if p else None

    def cpu(self) -> float | None:
        p = self.ps()
        if not p:
            return None
        t = p.cpu_times()
        return t.user + t.system

    def fds(self) -> int | None:
        p = self.ps()
        return p.num_fds() if p else None

    def log_tail(self, n: int = 30) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # uvicorn: graceful (flushes the message log)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def pg_plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _pg_admin(sql: str, admin_url: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(pg_plain(admin_url))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def _wait_http(base: str, deadline: float, proc: subprocess.Popen[bytes]) -> None:
    u = urlparse(base)
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            c = http.client.HTTPConnection(u.hostname, u.port, timeout=2)
            c.request("GET", "/api/v1/chargers")
            c.getresponse().read()
            c.close()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("server did not come up")


def _wait_tcp(host: str, port: int, deadline: float, proc: subprocess.Popen[bytes]) -> None:
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
            return
        time.sleep(0.2)
    raise RuntimeError("server did not come up")


def start_chargeplane(db: str, pg_url: str, stamp: str) -> Server:
    workdir = Path(tempfile.mkdtemp(prefix=f"chargeplane-bench-{db}-"))
    pg_admin = pg_db = None
    if db == "sqlite":
        db_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    else:
        pg_admin = pg_url
        pg_db = f"chargeplane_bench_{stamp.replace('-', '_').lower()}"
        _pg_admin(f'CREATE DATABASE "{pg_db}"', pg_admin)
        u = urlparse(pg_url)
        db_url = u._replace(path=f"/{pg_db}").geturl()
    env = dict(os.environ)
    env.update(
        {
            "CHARGEPLANE_DATABASE_URL": db_url,
            "CHARGEPLANE_SECRET_KEY_FILE": str(workdir / "chargeplane.secret"),
            # Sessions of the simulated chargers are authorised (no token rows needed).
            "CHARGEPLANE_OCPP__UNKNOWN_ID_TAGS": "accept",
            "PYTHONUNBUFFERED": "1",
        }
    )
    exe = ROOT / ".venv" / "bin" / "chargeplane"
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "chargeplane"]
    out = subprocess.run(
        [*cli, "apikey", "create", "--name", "bench"],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    api_key = out.stdout.strip().splitlines()[-1]
    port = free_port()
    log_path = workdir / "server.log"
    argv = [*cli, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as fh:
        proc = subprocess.Popen(
            argv,
            env=env,
            cwd=workdir,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    server = Server(
        "chargeplane",
        f"ws://127.0.0.1:{port}/ocpp",
        f"http://127.0.0.1:{port}",
        proc,
        workdir,
        db_url,
        api_key,
        log_path,
        pg_admin,
        pg_db,
        argv=argv,
        env=env,
    )
    try:
        _wait_http(server.http_base or "", time.time() + 90, proc)
    except Exception:
        server.stop()
        raise
    return server


def start_baseline() -> Server:
    workdir = Path(tempfile.mkdtemp(prefix="chargeplane-bench-baseline-"))
    port = free_port()
    log_path = workdir / "server.log"
    argv = [sys.executable, str(BENCH / "baseline_server.py"), "--port", str(port)]
    with log_path.open("wb") as fh:
        proc = subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT, cwd=workdir)
    _wait_tcp("127.0.0.1", port, time.time() + 30, proc)
    return Server(
        "baseline",
        f"ws://127.0.0.1:{port}/ocpp",
        None,
        proc,
        workdir,
        log_path=log_path,
        argv=argv,
        env=dict(os.environ),
    )


def cleanup_server(server: Server) -> None:
    server.stop()
    if server.pg_db and server.pg_admin:
        try:
            _pg_admin(f'DROP DATABASE IF EXISTS "{server.pg_db}" WITH (FORCE)', server.pg_admin)
        except Exception as exc:
            log(f"could not drop database {server.pg_db}: {exc}")
    if server.workdir:
        shutil.rmtree(server.workdir, ignore_errors=True)
