"""`make bench`: throughput and latency of the main pages at firm scale.

One command, bounded (about four minutes once seeded):

1. `<BENCH_DATABASE_URL>_seed` is created, migrated and seeded with
   `manage.py seed_large` when needed; the measured database
   (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/byraportalen_bench)
   is a fresh copy of it (tests/bench/database.py).
2. Query counts: each page is requested in-process with django.test.Client
   against that database, under the same settings; its second request is
   counted (the first warms per-process caches).
3. The app runs under gunicorn (`firm_portal.wsgi`, 2 sync workers,
   127.0.0.1 only) with production settings over plain HTTP
   (tests/bench/bench_settings.py adds the two floor pages). This process
   then loads it on loopback (tests/bench/loadgen.py): per page a warm-up,
   then BENCH_SECONDS at BENCH_CONCURRENCY.
4. EXPLAIN (ANALYZE, BUFFERS) of the client list's SQL (tests/bench/explain.py).

The Markdown table is printed and written to bench-results/<sha>-<time>.md.
Celery tasks are published to BENCH_REDIS_URL (default db 14), as in
production, and nothing consumes them: the queue is emptied afterwards.
"""

import argparse
import hashlib
import os
import platform
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
RESULTS = ROOT / "bench-results"
LOGS = ROOT / "var" / "bench"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/byraportalen_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
WORKERS = 2
# Requests per page under cProfile (--profile); the bulk invitation's pool has fewer.
PROFILED_REQUESTS = 30


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def bench_env(database_url: str, redis_url: str) -> dict[str, str]:
    """Production settings over plain HTTP on loopback."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.bench.bench_settings",
        "DJANGO_ENV": "production",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SITE_URL": "http://127.0.0.1:8000",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": "bench",
        "EMAIL_BACKEND": "locmem",
        "SMS_BACKEND": "console",
        "LOG_LEVEL": "WARNING",
        # Production's default is 60 s; a long one keeps each worker's
        # PostgreSQL backend for the whole run, so its CPU time can be read.
        "CONN_MAX_AGE": "900",
    }


def git_short_sha() -> str:
    """From .git without running git: HEAD, its ref file or packed-refs (in
    a worktree, .git names the worktree's own directory, whose `commondir`
    holds the refs)."""
    git = common = ROOT / ".git"
    try:
        if git.is_file():
            git = Path(git.read_text().strip().removeprefix("gitdir: "))
            common = git / (git / "commondir").read_text().strip()
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head[:7]
        ref = head.removeprefix("ref: ")
        if (common / ref).exists():
            return (common / ref).read_text().strip()[:7]
        for line in (common / "packed-refs").read_text().splitlines():
            if line.endswith(f" {ref}"):
                return line[:7]
    except OSError:
        pass
    return "nogit"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    LOGS.mkdir(parents=True, exist_ok=True)
    output = (LOGS / "gunicorn.log").open("wb")
    return subprocess.Popen(  # noqa: S603 - our own gunicorn with fixed arguments
        [
            GUNICORN,
            "firm_portal.wsgi",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )


def wait_until_ready(server: subprocess.Popen[bytes], port: int) -> None:
    from tests.bench.loadgen import Request, send

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {LOGS / 'gunicorn.log'}")
        try:
            if send("127.0.0.1", port, Request("GET", "/bench/floor/", {})).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within 30 s; see {LOGS / 'gunicorn.log'}")


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def collect_static(env: dict[str, str]) -> None:
    """collectstatic (about 20 s with compression), only when a static file
    changed since the last bench run."""
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256()
    for finder in get_finders():
        for path, storage in sorted(finder.list(["CVS", ".*", "*~"]), key=lambda f: f[0]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    root = Path(settings.STATIC_ROOT)
    marker = root / ".bench-fingerprint"
    fresh = marker.exists() and marker.read_text() == digest.hexdigest()
    if fresh and (root / "staticfiles.json").exists():
        return
    log("collectstatic")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    marker.write_text(digest.hexdigest())


def backend_pids(database_url: str) -> Callable[[], list[int]]:
    """The PostgreSQL backends connected to the bench database (but this one)."""
    import psycopg

    monitor = psycopg.connect(database_url, autocommit=True)

    def pids() -> list[int]:
        rows = monitor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchall()
        return [int(row[0]) for row in rows]

    return pids


def empty_task_queue(redis_url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).delete("default")
    except redis.RedisError as error:
        log(f"Could not empty the Celery queue at {redis_url}: {error}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 6)))
    parser.add_argument("--warmup", type=float, default=float(os.environ.get("BENCH_WARMUP", 1.5)))
    parser.add_argument(
        "--concurrency", type=int, default=int(os.environ.get("BENCH_CONCURRENCY", 4))
    )
    parser.add_argument("--pages", default="", help="comma-separated page keys (default: all)")
    parser.add_argument("--explain-only", action="store_true", help="only the EXPLAIN part")
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="no load: where each page's CPU goes, by cProfile (tests/bench/profile.py)",
    )
    parser.add_argument("--reseed", action="store_true", help="drop and rebuild the seed database")
    parser.add_argument(
        "--data",
        choices=["10k", "national"],
        default="10k",
        help="national: the pages on the national data set too, beside the 10k set",
    )
    parser.add_argument(
        "--national-scale",
        type=float,
        default=float(os.environ.get("BENCH_NATIONAL_SCALE", 0.2)),
        help="seed_national --scale (Riksbyrån AB always at full size)",
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    env = bench_env(database_url, redis_url)
    os.environ.update(env)
    import django

    django.setup()

    from tests.bench import database, national, pages

    started = time.monotonic()
    seed_url = database.with_name(database_url, database.database_name(database_url) + "_seed")
    if args.reseed:
        database.drop(seed_url)
    database.ensure_seed(seed_url, env, log)
    national_url = database.with_name(
        database_url, database.database_name(database_url) + "_national"
    )
    if args.data == "national":
        national.ensure_seed(national_url + "_seed", env, args.national_scale, log)
    log(f"Fresh copy: {database.database_name(database_url)}")
    database.fresh_copy(template=seed_url, target=database_url)
    collect_static(env)

    if args.explain_only:
        return explain_only(args, database_url, national_url)
    if args.profile:
        return profile_only(args, database_url)
    sets = [measure_set("10k", database_url, env, args, pages.cast)]
    if args.data == "national":
        log(f"Fresh copy: {database.database_name(national_url)}")
        database.fresh_copy(template=national_url + "_seed", target=national_url)
        national_env = {**env, "DATABASE_URL": national_url}
        sets.append(
            measure_set(
                f"national {args.national_scale:g}", national_url, national_env, args, national.cast
            )
        )
    failed = [f"{measured.label}: {key}" for measured in sets for key in measured.failed]
    if len(sets) > 1:
        text = national.side_by_side(sets)
        print(text)
        path = (
            RESULTS / f"{git_short_sha()}-{datetime.now().astimezone():%Y%m%d-%H%M%S}-national.md"
        )
        path.write_text(text + "\n" + "\n".join(m.text for m in sets))
        log(f"Side by side written to {path.relative_to(ROOT)}")
    log(f"Done in {time.monotonic() - started:.0f} s")
    if failed:
        log(f"Pages with errors or EXPLAIN findings: {', '.join(failed)}")
        return 1
    return 0


def explain_only(args: argparse.Namespace, database_url: str, national_url: str) -> int:
    """EXPLAIN of the client list and of every list page and ledger filter,
    without load; on the national set too with --data national."""
    from tests.bench import database, explain, national, pages

    targets = [(database_url, pages.cast)]
    if args.data == "national":
        database.fresh_copy(template=national_url + "_seed", target=national_url)
        targets.append((national_url, national.cast))
    found = 0
    for url, casting in targets:
        use_database(url)
        people = casting()
        explained = explain.explain_client_list(people)
        findings = explain.explain_pages(people, pages.build_pages(people))
        found += len(findings)
        print(f"# {database.database_name(url)}\n")
        print(explain.markdown(explained))
        print(explain.findings_markdown(findings))
    return 1 if found else 0


def profile_only(args: argparse.Namespace, database_url: str) -> int:
    """Where each page's CPU goes, on the 10k set, without load."""
    from tests.bench import pages, profile

    use_database(database_url)
    page_list = pages.build_pages(pages.cast())
    selected = [p for p in args.pages.split(",") if p]
    page_list = [p for p in page_list if not selected or p.key in selected]
    text = profile.profile_pages(page_list, PROFILED_REQUESTS, str(ROOT), log)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{git_short_sha()}-{datetime.now().astimezone():%Y%m%d-%H%M%S}-profile.md"
    path.write_text(text)
    log(f"Written to {path.relative_to(ROOT)}")
    return 0


def use_database(url: str) -> None:
    """Point this process's Django connection at `url`'s database."""
    from django.db import connection

    from tests.bench import database

    connection.close()
    connection.settings_dict["NAME"] = database.database_name(url)


def measure_set(
    label: str,
    database_url: str,
    env: dict[str, str],
    args: argparse.Namespace,
    casting: "Callable[[], Any]",
) -> "Any":
    """One data set: query counts in-process, the pages under gunicorn, then
    EXPLAIN of every list page and filter; the report is printed and kept."""
    from django.db import connection

    from tests.bench import explain, national, pages, report
    from tests.bench.loadgen import PoolExhausted

    use_database(database_url)
    log(f"Data set {label}: {database_url}")
    people = casting()
    bulk_variants = {
        "typed": pages.bulk_invite_queries(people, usernames=True),
        "suggested": pages.bulk_invite_queries(people, usernames=False),
    }
    selected = [p for p in args.pages.split(",") if p]
    page_list = [p for p in pages.build_pages(people) if not selected or p.key in selected]
    queries: dict[str, tuple[int, bool]] = {}
    for page in list(page_list):
        try:
            count, ok = queries[page.key] = pages.measure_queries(page)
        except PoolExhausted:  # nothing to write to in this data set
            log(f"{page.key}: no targets in {label}, left out")
            page_list.remove(page)
            continue
        log(f"{page.key}: {count} queries{'' if ok else ' (FAILED its check)'}")
    connection.close()
    load_before = os.getloadavg()
    results, usage = load_pages(page_list, database_url, env, args)
    explained, findings = [], []
    if not args.no_explain:
        log("EXPLAIN (ANALYZE, BUFFERS) of the client list and of every list page")
        explained = explain.explain_client_list(people)
        findings = explain.explain_pages(people, page_list)
    measured = national.Measured(
        label, page_list, queries, results, usage, (load_before[0], os.getloadavg()[0])
    )
    measured.failed = (
        [key for key, (_n, ok) in queries.items() if not ok]
        + [key for key, result in results.items() if result.errors or not result.requests]
        + [finding.where for finding in findings]
    )
    context = report.Context(
        sha=git_short_sha(),
        when=datetime.now().astimezone(),
        cpus=os.cpu_count() or 0,
        python=platform.python_version(),
        postgres=connection.cursor().connection.info.server_version,
        database=label,
        workers=WORKERS,
        concurrency=args.concurrency,
        seconds=args.seconds,
        warmup=args.warmup,
        load_before=load_before,
        load_after=os.getloadavg(),
    )
    text = report.render(context, page_list, queries, results, usage, bulk_variants, explained)
    text += explain.findings_markdown(findings)
    print(text)
    measured.text = text
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{context.sha}-{context.when:%Y%m%d-%H%M%S}.md"
    path.write_text(text)
    log(f"Written to {path.relative_to(ROOT)}")
    return measured


def load_pages(
    page_list: "list[Any]", database_url: str, env: dict[str, str], args: argparse.Namespace
) -> "tuple[dict[str, Any], dict[str, Any]]":
    """Every page under gunicorn: a warm-up, then the measured run."""
    from tests.bench import cpu, loadgen

    redis_url = env["REDIS_URL"]
    port = free_port()
    log(f"gunicorn firm_portal.wsgi, {WORKERS} workers, 127.0.0.1:{port}")
    server = start_gunicorn(env, port)
    results: dict[str, loadgen.LoadResult] = {}
    usage: dict[str, cpu.Usage] = {}
    try:
        wait_until_ready(server, port)
        workers = cpu.children(server.pid)
        if len(workers) != WORKERS:
            raise RuntimeError(f"expected {WORKERS} gunicorn workers, found {workers}")
        meter = cpu.Meter(workers, backend_pids(database_url))
        for page in page_list:
            common = {"host": "127.0.0.1", "port": port, "source": page.source, "check": page.check}
            loadgen.run(
                **common,  # type: ignore[arg-type]
                seconds=args.warmup / 3 if page.write else args.warmup,
                concurrency=args.concurrency,
            )
            before, wall = meter.snapshot(), time.perf_counter()
            result = results[page.key] = loadgen.run(
                **common,  # type: ignore[arg-type]
                seconds=args.seconds,
                concurrency=args.concurrency,
            )
            usage[page.key] = meter.usage(before, meter.snapshot(), time.perf_counter() - wall)
            app, db = usage[page.key].per_request(result.requests + result.errors)
            log(
                f"{page.key}: {result.rate:.1f} req/s, p50 {result.percentile(0.5) * 1000:.1f} ms, "
                f"p99 {result.percentile(0.99) * 1000:.1f} ms, CPU/request app "
                f"{app * 1000:.1f} ms + db {db * 1000:.1f} ms, others "
                f"{usage[page.key].other_share:.0%} of the machine, {result.errors} errors"
            )
    finally:
        stop(server)
        empty_task_queue(redis_url)
    return results, usage


if __name__ == "__main__":
    sys.exit(main())
