"""A small closed-loop HTTP load generator (standard library only).

`concurrency` threads each send one request, wait for the whole response,
and send the next, until the time is up or the request source runs dry
(`PoolExhausted`, for writes that need a fresh target every time). A new
connection per request: gunicorn's sync workers close it after each
response anyway.
"""

import http.client
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


class PoolExhausted(Exception):
    """The request source has nothing left to send."""


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


# Builds the next request; called from several threads at once.
RequestSource = Callable[[], Request]
# Whether a response is what the page should answer (status, redirect target…).
Check = Callable[[Response], bool]


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: int = 0
    first_error: str = ""
    elapsed: float = 0.0
    exhausted: bool = False

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile of the latencies, in seconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = min(max(1, math.ceil(fraction * len(ordered))), len(ordered))
        return ordered[rank - 1]


def send(host: str, port: int, request: Request, timeout: float = 60.0) -> Response:
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        headers = {"Host": f"{host}:{port}", "Connection": "close", **request.headers}
        if request.body:
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        connection.request(request.method, request.path, body=request.body, headers=headers)
        response = connection.getresponse()
        body = response.read()
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        connection.close()


def run(
    *,
    host: str,
    port: int,
    source: RequestSource,
    check: Check,
    seconds: float,
    concurrency: int,
) -> LoadResult:
    result = LoadResult()
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + seconds
    finished_at = [started]

    def worker() -> None:
        while time.perf_counter() < deadline:
            try:
                request = source()
            except PoolExhausted:
                with lock:
                    result.exhausted = True
                return
            sent = time.perf_counter()
            try:
                response = send(host, port, request)
                ok = check(response)
                problem = "" if ok else f"{request.method} {request.path} → {response.status}"
            except OSError as error:
                ok, problem = False, f"{request.method} {request.path}: {error}"
            done = time.perf_counter()
            with lock:
                finished_at[0] = max(finished_at[0], done)
                if ok:
                    result.latencies.append(done - sent)
                else:
                    result.errors += 1
                    result.first_error = result.first_error or problem

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed = finished_at[0] - started
    return result
