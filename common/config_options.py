"""``ConfigOptions`` and ``ConfigOption``, as in ``pyflink.common.config_options``.

A typed description of one configuration key and its default::

    >>> option = ConfigOptions.key("tmp.dir").string_type().default_value("/tmp")
    >>> option.key(), option.default_value()
    ('tmp.dir', '/tmp')
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

__all__ = ["ConfigOption", "ConfigOptions"]

T = TypeVar("T")


class ConfigOption(Generic[T]):
    """A configuration key, its value type and its default (immutable once built)."""

    def __init__(self, key: str, value_type: type, default: Any = None,
                 has_default: bool = False) -> None:
        self._key = key
        self._type = value_type
        self._default = default
        self._has_default = has_default

    def key(self) -> str:
        """The configuration key."""
        return self._key

    def has_default_value(self) -> bool:
        """Whether the option has a default value."""
        return self._has_default

    def default_value(self) -> Any:
        """The default value (None without one)."""
        return self._default

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ConfigOption) and self._key == other._key
                and self._default == other._default)

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return f"Key: '{self._key}' , default: {self._default}"


class ConfigOptions:
    """Builds :class:`ConfigOption` objects: ``ConfigOptions.key(k).int_type().default_value(1)``."""

    @staticmethod
    def key(key: str) -> ConfigOptions.OptionBuilder:
        """Start building the option of ``key``."""
        if not isinstance(key, str) or not key:
            raise ValueError("The config option key must be a non-empty string")
        return ConfigOptions.OptionBuilder(key)

    class OptionBuilder:
        """Chooses the option's value type."""

        def __init__(self, key: str) -> None:
            self._key = key

        def boolean_type(self) -> ConfigOptions.TypedConfigOptionBuilder[bool]:
            """A bool option."""
            return ConfigOptions.TypedConfigOptionBuilder(self._key, bool)

        def int_type(self) -> ConfigOptions.TypedConfigOptionBuilder[int]:
            """A 32-bit int option."""
            return ConfigOptions.TypedConfigOptionBuilder(self._key, int)

        def long_type(self) -> ConfigOptions.TypedConfigOptionBuilder[int]:
            """A 64-bit int option."""
            return ConfigOptions.TypedConfigOptionBuilder(self._key, int)

        def float_type(self) -> ConfigOptions.TypedConfigOptionBuilder[float]:
            """A float option."""
            return ConfigOptions.TypedConfigOptionBuilder(self._key, float)

        def double_type(self) -> ConfigOptions.TypedConfigOptionBuilder[float]:
            """A double option."""
            return ConfigOptions.TypedConfigOptionBuilder(self._key, float)

        def string_type(self) -> ConfigOptions.TypedConfigOptionBuilder[str]:
            """A string option."""
            return ConfigOptions.TypedConfigOptionBuilder(self._key, str)

    class TypedConfigOptionBuilder(Generic[T]):
        """Sets the option's default."""

        def __init__(self, key: str, value_type: type) -> None:
            self._key = key
            self._type = value_type

        def default_value(self, value: T) -> ConfigOption[T]:
            """The option with ``value`` as its default."""
            return ConfigOption(self._key, self._type, value, True)

        def no_default_value(self) -> ConfigOption[T]:
            """The option without a default."""
            return ConfigOption(self._key, self._type)
