"""Two web nodes against one: throughput on one PostgreSQL and one Redis, zero errors, sign-in limits shared.

    python bench/multinode.py [--database-url URL] [--seconds 20] [--clients 16] [--workers 2]

Builds the demo into an empty PostgreSQL database (the URL given, else a fresh database on the server in
DIRECTORY_TEST_POSTGRES_URL, dropped afterwards), starts Debian's redis-server on a free loopback port, then runs the
same mixed load (bench/load.py's mix: searches, public listing pages, gap maps signed in) twice: against one
`serve` node, then against two nodes (each with its own instance folder and port), the clients taking the nodes in
turn as a load balancer would. The load is a small concurrent client of our own (threads, keep-alive connections),
so it needs nothing beyond the standard library. Both nodes and the client share this machine's cores: on a 2-core
machine the second node cannot add CPU, so the bar is "at least one node's throughput, zero errors". Prints JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from load import build, free_port, paths, sign_in  # noqa: E402 - bench/load.py, beside this file


@contextlib.contextmanager
def postgres(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    import sqlalchemy

    server = os.environ.get("DIRECTORY_TEST_POSTGRES_URL")
    if not server:
        sys.exit("give --database-url, or set DIRECTORY_TEST_POSTGRES_URL to a PostgreSQL server")
    name = f"directory_bench_{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sqlalchemy.engine.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def redis(folder: str) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed (Debian: apt-get install redis-server)")
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - a fixed argv
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        time.sleep(0.5)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextlib.contextmanager
def nodes(count: int, url: str, redis_url: str, folder: str, workers: int) -> Iterator[list[str]]:
    children, bases = [], []
    for number in range(count):
        instance = Path(folder, f"node-{number}")
        instance.mkdir(exist_ok=True)
        port = free_port()
        env = {**os.environ, "DIRECTORY_DATABASE_URL": url, "DIRECTORY_INSTANCE_PATH": str(instance),
               "DIRECTORY_SECRET_KEY": "multinode", "DIRECTORY_RATE_LIMIT_STORAGE": redis_url,
               "DIRECTORY_LOGIN_RATE_LIMIT": "3 per minute", "DIRECTORY_TRUSTED_PROXIES": "1"}  # fmt: skip
        children.append(subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "directory.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
             "--insecure-cookies"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))  # fmt: skip
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base in bases:
            for _ in range(150):
                try:
                    urllib.request.urlopen(base + "/healthz").close()  # noqa: S310 - loopback
                    break
                except OSError:
                    time.sleep(0.2)
        yield bases
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=30)


def load(bases: list[str], mix: list[str], cookie: str, clients: int, seconds: float) -> dict[str, float]:
    """``clients`` threads, each with a keep-alive connection per node, taking the nodes in turn."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(number: int) -> None:
        rng = random.Random(number)
        hosts = [urllib.parse.urlsplit(base) for base in bases]
        connections = [http.client.HTTPConnection(h.hostname or "", h.port, timeout=30) for h in hosts]
        turn, mine, bad = number, [], []
        while time.monotonic() < stop:
            path = rng.choice(mix)
            connection = connections[turn % len(connections)]
            turn += 1
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Cookie": cookie} if path.startswith("/gaps/") else {})
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    bad.append(f"{response.status} {path}")
            except (OSError, http.client.HTTPException) as exc:
                bad.append(f"{type(exc).__name__} {path}")
                connection.close()
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "nodes": len(bases), "requests": len(latencies), "requests_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(cuts[49] * 1000, 1), "p95_ms": round(cuts[94] * 1000, 1), "errors": len(errors),
        "first_errors": errors[:5],
    }  # fmt: skip


def shared_limit(bases: list[str]) -> list[int]:
    """Wrong sign-ins from one client address: three through the first node, then one through each node."""
    statuses = []
    # One browser: its session cookie (which the CSRF token belongs to) is good on every node.
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    for base in [bases[0]] * 3 + bases:
        page = browser.open(base + "/login").read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        data = urllib.parse.urlencode({"email": "guess@example.org", "password": "wrong", "csrf_token": token[1]})
        request = urllib.request.Request(  # noqa: S310 - loopback
            base + "/login", data=data.encode(), headers={"X-Forwarded-For": "203.0.113.9"}
        )
        try:
            statuses.append(browser.open(request).status)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (the demo is built into it)")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per node")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, postgres(args.database_url) as url, redis(folder) as redis_url:
        accounts, postcodes = build(url, folder)
        results = []
        for count in (1, 2):
            with nodes(count, url, redis_url, folder, args.workers) as bases:
                staff = "community.development@demo.invalid"
                cookie = sign_in(bases[0], staff, accounts[staff])
                mix = paths(bases[0], random.Random(1), postcodes, 0.2)
                load(bases, mix, cookie, args.clients, 3)  # warm every worker's caches first
                results.append(load(bases, mix, cookie, args.clients, args.seconds))
                if count == 2:
                    results[-1]["sign_in_statuses"] = shared_limit(bases)
    print(json.dumps({"cores": os.cpu_count(), "load_average": os.getloadavg(), "clients": args.clients,
                      "workers_per_node": args.workers, "runs": results}, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
