"""An availability probe: does every listener keep forwarding to a healthy target?

While a release applies, ``AvailabilityProbe`` samples the load balancers whose names
start with a prefix every ``interval`` seconds. A listener *serves* when one of the
target groups its default action forwards to (with a weight above 0) has a healthy
target; a listener that redirects (HTTP to HTTPS) is not judged. The time from a
sample that found a listener not serving to the next one that found it serving is
outage. On the emulator, target health is the shim's (``tools.emulator.targets``):
the tasks ECS runs, reachable through their security groups.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ListenerRecord:
    """What the probe saw of one listener."""

    samples: int = 0
    outage: float = 0.0
    down_since: float | None = None
    last_problem: str = ""


@dataclass
class Availability:
    """Outage seconds per listener (``<load balancer>:<port>``) over one probe run."""

    listeners: dict[str, ListenerRecord] = field(default_factory=dict)
    errors: int = 0
    rounds: int = 0

    def problems(self) -> list[str]:
        """One line per listener that was down, or that the probe never saw."""
        out = []
        for name, record in sorted(self.listeners.items()):
            if record.outage > 0 or record.down_since is not None:
                why = record.last_problem
                out.append(f"{name}: {record.outage:.1f} s without a healthy target ({why})")
            elif record.samples == 0:
                out.append(f"{name}: never sampled")
        if not self.listeners:
            out.append(f"no listener was seen in {self.rounds} round(s) ({self.errors} failed)")
        return out

    def summary(self) -> str:
        parts = [f"{name} {record.outage:.1f} s" for name, record in sorted(self.listeners.items())]
        return f"outage: {', '.join(parts) or 'no listener'} ({self.rounds} samples)"


def serving_problem(elbv2: Any, listener: dict[str, Any]) -> str | None:
    """Why ``listener`` serves no request now, or None when it does (or only redirects)."""
    groups: list[str] = []
    for action in listener.get("DefaultActions", []):
        if action.get("Type") != "forward":
            continue
        weighted = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
        groups += [g["TargetGroupArn"] for g in weighted if g.get("Weight", 1) > 0]
        if not weighted and action.get("TargetGroupArn"):
            groups.append(action["TargetGroupArn"])
    if not any(a.get("Type") == "forward" for a in listener.get("DefaultActions", [])):
        return None
    states = []
    for arn in groups:
        found = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        if any(t["TargetHealth"]["State"] == "healthy" for t in found):
            return None
        states += [
            f"{t['Target']['Id']}:{t['Target']['Port']} {t['TargetHealth']['State']}" for t in found
        ]
    return ", ".join(states) or "no targets"


class AvailabilityProbe:
    """Samples in a background thread between ``start()`` and ``stop()``."""

    def __init__(self, elbv2: Callable[[], Any], name_prefix: str, interval: float = 0.3) -> None:
        self._client = elbv2
        self._prefix = name_prefix
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.result = Availability()

    def sample(self, elbv2: Any, now: float) -> None:
        """One round: every listener of every matching load balancer."""
        result = self.result
        result.rounds += 1
        balancers = elbv2.describe_load_balancers()["LoadBalancers"]
        seen: set[str] = set()
        for lb in balancers:
            if not lb["LoadBalancerName"].startswith(self._prefix):
                continue
            listeners = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
            for listener in listeners:
                name = f"{lb['LoadBalancerName']}:{listener['Port']}"
                seen.add(name)
                self._record(name, serving_problem(elbv2, listener), now)
        for name in set(result.listeners) - seen:
            self._record(name, "the listener or its load balancer is gone", now)

    def _record(self, name: str, problem: str | None, now: float) -> None:
        record = self.result.listeners.setdefault(name, ListenerRecord())
        record.samples += 1
        if problem is None and record.down_since is not None:
            record.outage += now - record.down_since
            record.down_since = None
        elif problem is not None:
            record.last_problem = problem
            if record.down_since is None:
                record.down_since = now

    def _run(self) -> None:
        elbv2 = self._client()
        while not self._stop.is_set():
            try:
                self.sample(elbv2, time.monotonic())
            except Exception:  # the emulator busy or restarting: the round tells nothing
                self.result.errors += 1
            self._stop.wait(self._interval)

    def start(self) -> AvailabilityProbe:
        self._thread = threading.Thread(target=self._run, name="availability-probe", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> Availability:
        """Stop sampling; a listener still down is counted down until now."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        now = time.monotonic()
        for record in self.result.listeners.values():
            if record.down_since is not None:
                record.outage += now - record.down_since
        return self.result

    def __enter__(self) -> AvailabilityProbe:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
