"""``SlotSharingGroup`` and ``MemorySize``, as in ``pyflink.datastream.slot_sharing_group``.

A slot-sharing group names the operators that may share a slot
(``ds.slot_sharing_group(group)`` takes a name or a SlotSharingGroup). Its
resource profile (CPU cores, memory) is validated like Flink's and kept with
the environment (``register_slot_sharing_group``); flink-py's slots are
uniform, so the profile does not change scheduling.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MemorySize", "SlotSharingGroup"]

_UNITS = (("tb", 1 << 40), ("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10))


class MemorySize:
    """A number of bytes, viewable in different units (Flink's ``MemorySize``)."""

    def __init__(self, j_memory_size: Any = None, bytes_size: int | None = None) -> None:
        size = bytes_size if bytes_size is not None else j_memory_size
        if isinstance(size, MemorySize):
            size = size.get_bytes()
        if size is None or int(size) < 0:
            raise ValueError(f"bytes must be >= 0, got {size}")
        self._bytes = int(size)

    @staticmethod
    def of_mebi_bytes(mebi_bytes: int) -> MemorySize:
        """``mebi_bytes`` MiB."""
        return MemorySize(bytes_size=int(mebi_bytes) << 20)

    def get_bytes(self) -> int:
        """The size in bytes."""
        return self._bytes

    def get_kibi_bytes(self) -> int:
        """The size in KiB (rounded down)."""
        return self._bytes >> 10

    def get_mebi_bytes(self) -> int:
        """The size in MiB (rounded down)."""
        return self._bytes >> 20

    def get_gibi_bytes(self) -> int:
        """The size in GiB (rounded down)."""
        return self._bytes >> 30

    def get_tebi_bytes(self) -> int:
        """The size in TiB (rounded down)."""
        return self._bytes >> 40

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MemorySize) and other._bytes == self._bytes

    def __hash__(self) -> int:
        return hash(self._bytes)

    def __lt__(self, other: MemorySize) -> bool:
        if not isinstance(other, MemorySize):
            raise TypeError(f"Does not support comparison with non-MemorySize {other}")
        return self._bytes < other._bytes

    def __le__(self, other: MemorySize) -> bool:
        return self == other or self < other

    def __str__(self) -> str:
        for unit, size in _UNITS:
            if self._bytes and self._bytes % size == 0:
                return f"{self._bytes // size} {unit}"
        return f"{self._bytes} bytes"

    def __repr__(self) -> str:
        return f"MemorySize({self})"


class SlotSharingGroup:
    """The name and resource profile of a slot-sharing group.

    Build one with ``SlotSharingGroup.builder("name").set_cpu_cores(1.0)
    .set_task_heap_memory_mb(100).build()``.
    """

    def __init__(self, name: str, cpu_cores: float | None = None,
                 task_heap_memory: MemorySize | None = None,
                 task_off_heap_memory: MemorySize | None = None,
                 managed_memory: MemorySize | None = None,
                 external_resources: dict[str, float] | None = None) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError("The name of slot sharing group should not be null or empty.")
        self._name = name
        self._cpu_cores = cpu_cores
        self._task_heap_memory = task_heap_memory
        self._task_off_heap_memory = task_off_heap_memory
        self._managed_memory = managed_memory
        self._external_resources = dict(external_resources or {})

    def get_name(self) -> str:
        """The group's name."""
        return self._name

    def get_managed_memory(self) -> MemorySize | None:
        """The managed memory of the group, or None when unspecified."""
        return self._managed_memory

    def get_task_heap_memory(self) -> MemorySize | None:
        """The task heap memory of the group, or None when unspecified."""
        return self._task_heap_memory

    def get_task_off_heap_memory(self) -> MemorySize | None:
        """The task off-heap memory of the group, or None when unspecified."""
        return self._task_off_heap_memory

    def get_cpu_cores(self) -> float | None:
        """The CPU cores of the group, or None when unspecified."""
        return self._cpu_cores

    def get_external_resources(self) -> dict[str, float]:
        """The external resources (name -> amount) of the group."""
        return dict(self._external_resources)

    @staticmethod
    def builder(name: str) -> SlotSharingGroup.Builder:
        """A builder for a group called ``name``."""
        return SlotSharingGroup.Builder(name)

    def _key(self) -> tuple[Any, ...]:
        return (self._name, self._cpu_cores, self._task_heap_memory, self._task_off_heap_memory,
                self._managed_memory, tuple(sorted(self._external_resources.items())))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SlotSharingGroup) and other._key() == self._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"SlotSharingGroup{{name='{self._name}', cpuCores={self._cpu_cores}, "
                f"taskHeapMemory={self._task_heap_memory}, "
                f"taskOffHeapMemory={self._task_off_heap_memory}, "
                f"managedMemory={self._managed_memory}, "
                f"externalResources={self._external_resources}}}")

    class Builder:
        """Builder of a :class:`SlotSharingGroup` (Flink's validation rules)."""

        def __init__(self, name: str) -> None:
            self._name = name
            self._cpu_cores: float | None = None
            self._task_heap: MemorySize | None = None
            self._task_off_heap: MemorySize | None = None
            self._managed: MemorySize | None = None
            self._external: dict[str, float] = {}

        def set_cpu_cores(self, cpu_cores: float) -> SlotSharingGroup.Builder:
            """CPU cores of the group (positive)."""
            if cpu_cores <= 0:
                raise ValueError("The cpu cores should be positive.")
            self._cpu_cores = float(cpu_cores)
            return self

        @staticmethod
        def _positive(size: MemorySize, what: str) -> MemorySize:
            if not isinstance(size, MemorySize):
                raise TypeError(f"The {what} should be a MemorySize, got {size!r}")
            if size.get_bytes() <= 0:
                raise ValueError(f"The {what} should be positive.")
            return size

        def set_task_heap_memory(self, task_heap_memory: MemorySize) -> SlotSharingGroup.Builder:
            """Task heap memory of the group (positive)."""
            self._task_heap = self._positive(task_heap_memory, "task heap memory")
            return self

        def set_task_heap_memory_mb(self, task_heap_memory_mb: int) -> SlotSharingGroup.Builder:
            """Task heap memory of the group in MiB (positive)."""
            if task_heap_memory_mb <= 0:
                raise ValueError("The task heap memory should be positive.")
            return self.set_task_heap_memory(MemorySize.of_mebi_bytes(task_heap_memory_mb))

        def set_task_off_heap_memory(self, task_off_heap_memory: MemorySize
                                     ) -> SlotSharingGroup.Builder:
            """Task off-heap memory of the group."""
            self._task_off_heap = task_off_heap_memory
            return self

        def set_task_off_heap_memory_mb(self, task_off_heap_memory_mb: int
                                        ) -> SlotSharingGroup.Builder:
            """Task off-heap memory of the group in MiB."""
            return self.set_task_off_heap_memory(MemorySize.of_mebi_bytes(task_off_heap_memory_mb))

        def set_managed_memory(self, managed_memory: MemorySize) -> SlotSharingGroup.Builder:
            """Managed memory of the group."""
            self._managed = managed_memory
            return self

        def set_managed_memory_mb(self, managed_memory_mb: int) -> SlotSharingGroup.Builder:
            """Managed memory of the group in MiB."""
            return self.set_managed_memory(MemorySize.of_mebi_bytes(managed_memory_mb))

        def set_external_resource(self, name: str, value: float) -> SlotSharingGroup.Builder:
            """Add (or replace) an external resource."""
            self._external[name] = float(value)
            return self

        def build(self) -> SlotSharingGroup:
            """The group; a resource profile needs CPU cores and task heap memory."""
            has_resources = (self._cpu_cores is not None or self._task_heap is not None
                             or self._task_off_heap is not None or self._managed is not None
                             or bool(self._external))
            if has_resources and (self._cpu_cores is None or self._task_heap is None):
                raise ValueError("The cpu cores and task heap memory are required when "
                                 "specifying the resource of a slot sharing group. You need to "
                                 "explicitly configure them with positive value.")
            return SlotSharingGroup(self._name, self._cpu_cores, self._task_heap,
                                    self._task_off_heap or (MemorySize(bytes_size=0)
                                                            if has_resources else None),
                                    self._managed or (MemorySize(bytes_size=0)
                                                      if has_resources else None),
                                    self._external)
