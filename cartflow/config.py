"""Function configuration from environment variables, as declared in the contract.

Each function reads exactly the variables ``stack.json`` lists for it (the same list Terraform
sets), so a missing setting fails the cold start naming the variable instead of failing later
on the first request that needs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

from cartflow import contract


class ConfigurationError(RuntimeError):
    """Raised at cold start when a declared setting has no value and no default."""


class Settings(Mapping[str, str]):
    """The settings one function declared, read once at cold start."""

    def __init__(self, function_name: str, values: dict[str, str]) -> None:
        self.function_name = function_name
        self._values = values

    def __getitem__(self, name: str) -> str:
        if name not in self._values:
            raise KeyError(f"{name} is not a setting of {self.function_name}; declare it in contract/stack.json")
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def integer(self, name: str, minimum: int = 0) -> int:
        """A setting that must be a whole number of at least ``minimum``."""
        raw = self[name]
        try:
            value = int(raw)
        except ValueError:
            raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from None
        if value < minimum:
            raise ConfigurationError(f"{name} must be >= {minimum}, got {value}")
        return value


def load_settings(function_name: str, environ: Mapping[str, str] | None = None) -> Settings:
    """Read every setting ``function_name`` declares; raise naming all the missing ones."""
    env = os.environ if environ is None else environ
    declared = contract.function_spec(function_name)["environment"]
    defaults = contract.stack()["settings"]
    values: dict[str, str] = {}
    missing: list[str] = []
    for name in declared:
        value = env.get(name) or defaults[name]["default"]
        if value is None:
            missing.append(name)
        else:
            values[name] = value
    if missing:
        raise ConfigurationError(f"{function_name}: missing environment variable(s): {', '.join(missing)}")
    return Settings(function_name, values)
