"""CPU time from /proc (Linux): what the gunicorn workers and their
PostgreSQL backends spent per request, and how busy the machine was with
everything else meanwhile. Wall-clock latency on a shared 2-core machine
moves with whatever else runs; CPU time per request much less so."""

import os
import resource
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """User + system seconds of one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def machine_busy() -> float:
    """Seconds of CPU the whole machine has spent busy (all cores)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / TICKS


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Snapshot:
    app: float
    backends: dict[int, float]
    loadgen: float
    machine: float


@dataclass(frozen=True)
class Usage:
    app: float
    database: float
    other: float  # everything but gunicorn, its backends and the load generator
    elapsed: float

    def per_request(self, requests: int) -> tuple[float, float]:
        if not requests:
            return float("nan"), float("nan")
        return self.app / requests, self.database / requests

    @property
    def other_share(self) -> float:
        """Other processes' CPU as a share of the whole machine."""
        cpus = os.cpu_count() or 1
        return self.other / (self.elapsed * cpus) if self.elapsed else 0.0


class Meter:
    """`workers`: the gunicorn worker pids; `backends`: returns the pids of
    the PostgreSQL backends serving them now (they are reconnected when
    CONN_MAX_AGE runs out, so they are looked up at every snapshot)."""

    def __init__(self, workers: list[int], backends: Callable[[], list[int]]) -> None:
        self.workers = workers
        self.backends = backends

    def snapshot(self) -> Snapshot:
        return Snapshot(
            app=sum(process_cpu(pid) for pid in self.workers),
            backends={pid: process_cpu(pid) for pid in self.backends()},
            loadgen=own_cpu(),
            machine=machine_busy(),
        )

    @staticmethod
    def usage(before: Snapshot, after: Snapshot, elapsed: float) -> Usage:
        app = after.app - before.app
        # A backend that started in between counts from zero; one that ended
        # in between loses its last moments (rare with a long CONN_MAX_AGE).
        database = sum(cpu - before.backends.get(pid, 0.0) for pid, cpu in after.backends.items())
        loadgen = after.loadgen - before.loadgen
        other = max(after.machine - before.machine - app - database - loadgen, 0.0)
        return Usage(app=app, database=database, other=other, elapsed=elapsed)
