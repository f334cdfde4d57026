"""The resource manager: registered TaskManagers, their slots and liveness.

A pure state machine: every method takes the current time where it matters
and returns what changed; no sockets, no threads.
"""

from __future__ import annotations

import dataclasses

__all__ = ["ResourceManager", "SlotRecord", "TaskManagerRecord"]


@dataclasses.dataclass
class SlotRecord:
    """One slot of one TaskManager."""

    tm_id: str
    index: int
    data_address: str
    job_id: str | None = None


@dataclasses.dataclass
class TaskManagerRecord:
    """A registered TaskManager."""

    tm_id: str
    rpc_address: str
    slots: list[SlotRecord]
    last_heartbeat: float


class ResourceManager:
    """The slot table of the cluster."""

    def __init__(self) -> None:
        self.taskmanagers: dict[str, TaskManagerRecord] = {}

    def register(self, tm_id: str, rpc_address: str, slots: list[tuple[int, str]],
                 now: float) -> dict[str, set[int]]:
        """Register (or re-register) a TaskManager.

        A TaskManager re-registers when it replaced a slot worker (a new data
        address) or lost one (the slot is missing). Slots that are unchanged
        keep their allocation.

        Returns:
            Jobs that held a slot that is gone or changed, with the indices of
            those slots; those jobs lost them.
        """
        old = self.taskmanagers.get(tm_id)
        lost: dict[str, set[int]] = {}
        new_slots = [SlotRecord(tm_id, i, addr) for i, addr in slots]
        if old is not None:
            previous = {s.index: s for s in old.slots}
            moved = old.rpc_address != rpc_address
            for slot in new_slots:
                prev = previous.pop(slot.index, None)
                if prev is None or prev.job_id is None:
                    continue
                if prev.data_address == slot.data_address and not moved:
                    slot.job_id = prev.job_id
                else:
                    lost.setdefault(prev.job_id, set()).add(prev.index)
            for prev in previous.values():
                if prev.job_id is not None:
                    lost.setdefault(prev.job_id, set()).add(prev.index)
        self.taskmanagers[tm_id] = TaskManagerRecord(tm_id, rpc_address, new_slots, now)
        return lost

    def heartbeat(self, tm_id: str, now: float) -> bool:
        """Record a heartbeat; False if the TaskManager is unknown."""
        tm = self.taskmanagers.get(tm_id)
        if tm is None:
            return False
        tm.last_heartbeat = now
        return True

    def expire(self, now: float, timeout: float) -> list[TaskManagerRecord]:
        """Remove and return TaskManagers silent for longer than ``timeout``."""
        lost = [tm for tm in self.taskmanagers.values() if now - tm.last_heartbeat > timeout]
        for tm in lost:
            del self.taskmanagers[tm.tm_id]
        return lost

    def remove(self, tm_id: str) -> TaskManagerRecord | None:
        """Forget a TaskManager (it disconnected)."""
        return self.taskmanagers.pop(tm_id, None)

    def total_slots(self) -> int:
        """All registered slots."""
        return sum(len(tm.slots) for tm in self.taskmanagers.values())

    def free_slots(self) -> int:
        """Slots not allocated to any job."""
        return sum(1 for tm in self.taskmanagers.values() for s in tm.slots if s.job_id is None)

    def allocate(self, job_id: str, n: int) -> list[SlotRecord] | None:
        """Allocate ``n`` slots to a job, spread over TaskManagers, or None."""
        if self.free_slots() < n:
            return None
        free = {tm_id: [s for s in tm.slots if s.job_id is None]
                for tm_id, tm in sorted(self.taskmanagers.items())}
        chosen: list[SlotRecord] = []
        while len(chosen) < n:
            # Take from the TaskManager with the most free slots: spreads load.
            tm_id = max(free, key=lambda t: len(free[t]))
            chosen.append(free[tm_id].pop(0))
        for slot in chosen:
            slot.job_id = job_id
        return chosen

    def release(self, job_id: str) -> None:
        """Free every slot held by a job."""
        for tm in self.taskmanagers.values():
            for s in tm.slots:
                if s.job_id == job_id:
                    s.job_id = None

    def rpc_address(self, tm_id: str) -> str | None:
        """The gRPC address of a registered TaskManager."""
        tm = self.taskmanagers.get(tm_id)
        return tm.rpc_address if tm else None
