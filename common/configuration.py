"""The user-facing key/value configuration, mirroring ``pyflink.common.Configuration``.

Values are stored as strings, as in PyFlink (whose Java ``Configuration`` converts
every value to its string form). Typed getters parse on read; typed setters
store the canonical string (``"true"``, ``"42"``, ``"1.5"``, base64 for bytes).

A ``Configuration`` is not validated against the option table; that happens when
it is layered onto a runtime config::

    conf = Configuration().set_integer("parallelism.default", 4)
    runtime_config = flink_config.with_overrides(conf)  # or conf.to_dict()

Example:
    >>> conf = Configuration().set_string("pipeline.name", "wc").set_boolean("a.b", True)
    >>> conf.get_boolean("a.b", False), conf.to_dict()
    (True, {'pipeline.name': 'wc', 'a.b': 'true'})
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import MutableMapping
from typing import Any

import yaml

from flink_py.common.runtime.config import ConfigError, parse_bool, parse_float, parse_int

__all__ = ["Configuration"]


class Configuration:
    """A lightweight, mutable configuration of string keys and string values."""

    def __init__(self, other: Configuration | None = None) -> None:
        """Creates an empty configuration, or a copy of ``other``.

        Args:
            other: A configuration whose entries are copied.
        """
        self._data: dict[str, str] = dict(other._data) if other is not None else {}

    @classmethod
    def from_dict(cls, map: dict[str, Any]) -> Configuration:  # noqa: A002 - PyFlink's name
        """A configuration holding ``map``'s entries (values as their string form)."""
        conf = cls()
        for key, value in map.items():
            conf.set_string(key, _to_string(value))
        return conf

    @staticmethod
    def parse_list_value(value: str) -> list[Any]:
        """A list option's value: a YAML list (``[a, b]``) or ``;``-separated items."""
        if not value:
            return []
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            parsed = None
        if isinstance(parsed, list):
            return parsed
        return value.split(";")

    # Strings ------------------------------------------------------------------------------

    def get_string(self, key: str, default_value: str | None = None) -> str | None:
        """Returns the value of ``key``, or ``default_value`` if it is not set."""
        return self._data.get(key, default_value)

    def set_string(self, key: str, value: str) -> Configuration:
        """Sets ``key`` to ``value`` and returns this configuration (for chaining)."""
        if not isinstance(value, str):
            raise TypeError(f"set_string({key!r}) expects a str, got {type(value).__name__}")
        self._data[key] = value
        return self

    # Typed values -------------------------------------------------------------------------

    def get_integer(self, key: str, default_value: int) -> int:
        """Returns the value of ``key`` as an ``int``, or ``default_value`` if it is not set.

        Raises:
            ConfigError: If the stored value is not an integer.
        """
        return parse_int(self._data[key], key) if key in self._data else default_value

    def set_integer(self, key: str, value: int) -> Configuration:
        """Sets ``key`` to an integer (stored as its decimal string) and returns ``self``."""
        self._data[key] = str(parse_int(value, key))
        return self

    def get_float(self, key: str, default_value: float) -> float:
        """Returns the value of ``key`` as a ``float``, or ``default_value`` if it is not set.

        Raises:
            ConfigError: If the stored value is not a number.
        """
        return parse_float(self._data[key], key) if key in self._data else float(default_value)

    def set_float(self, key: str, value: float) -> Configuration:
        """Sets ``key`` to a number (stored as its ``float`` string) and returns ``self``."""
        self._data[key] = str(parse_float(value, key))
        return self

    def get_boolean(self, key: str, default_value: bool) -> bool:
        """Returns the value of ``key`` as a ``bool``, or ``default_value`` if it is not set.

        Raises:
            ConfigError: If the stored value is neither ``true`` nor ``false``.
        """
        return parse_bool(self._data[key], key) if key in self._data else default_value

    def set_boolean(self, key: str, value: bool) -> Configuration:
        """Sets ``key`` to ``"true"`` or ``"false"`` and returns ``self``."""
        self._data[key] = "true" if parse_bool(value, key) else "false"
        return self

    def get_bytearray(self, key: str, default_value: bytes | bytearray) -> bytearray:
        """Returns the value of ``key`` decoded from base64, or ``default_value``.

        Raises:
            ConfigError: If the stored value is not valid base64.
        """
        if key not in self._data:
            return bytearray(default_value)
        try:
            return bytearray(base64.b64decode(self._data[key], validate=True))
        except binascii.Error:
            raise ConfigError(
                f"Invalid value for configuration key {key!r}: {self._data[key]!r} is not base64"
            ) from None

    def set_bytearray(self, key: str, value: bytes | bytearray) -> Configuration:
        """Sets ``key`` to bytes (stored base64-encoded, as Flink does) and returns ``self``."""
        self._data[key] = base64.b64encode(bytes(value)).decode("ascii")
        return self

    # Keys and bulk operations -------------------------------------------------------------

    def key_set(self) -> set[str]:
        """Returns the set of keys stored in this configuration."""
        return set(self._data)

    def contains_key(self, key: str) -> bool:
        """Returns whether ``key`` is stored in this configuration."""
        return key in self._data

    def remove_config(self, key: str) -> bool:
        """Removes ``key``; returns whether it was present."""
        return self._data.pop(key, None) is not None

    def add_all(self, other: Configuration, prefix: str | None = None) -> Configuration:
        """Copies all entries of ``other`` into this configuration.

        Args:
            other: The configuration to copy from.
            prefix: Prepended to every copied key, if given.

        Returns:
            This configuration.
        """
        self._data.update({(prefix or "") + key: value for key, value in other._data.items()})
        return self

    def add_all_to_dict(self, target_dict: MutableMapping[str, Any]) -> None:
        """Adds all entries of this configuration to ``target_dict``."""
        target_dict.update(self._data)

    def to_dict(self) -> dict[str, str]:
        """Returns a copy of the entries as a ``dict`` of strings."""
        return dict(self._data)

    # Python protocols ---------------------------------------------------------------------

    def __deepcopy__(self, memodict: dict[int, Any] | None = None) -> Configuration:
        return Configuration(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Configuration) and self._data == other._data

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Configuration({self._data!r})"

    __str__ = __repr__


def _to_string(value: Any) -> str:
    """Java's string form of a configuration value (booleans lower-case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
