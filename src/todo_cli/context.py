"""What every command shares: the services, built once and only when a command needs them."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any, Protocol

from todo_adapters.settings import Settings, SettingsError
from todo_core.services import TaskService


class Services(Protocol):
    """What the commands need of the composition root's container."""

    def settings(self) -> Settings: ...

    def task_service(self) -> TaskService: ...

    def engine(self) -> Any: ...


class CliContext:
    """Lazily builds the same services the HTTP app uses (no HTTP involved).

    ``build`` is the composition root's container class (``todo_bootstrap``).
    """

    def __init__(self, build: Callable[[], Services]) -> None:
        self._build = build

    @cached_property
    def container(self) -> Services:
        return self._build()

    @property
    def settings(self) -> Settings:
        return self.container.settings()

    @property
    def tasks(self) -> TaskService:
        return self.container.task_service()

    def close(self) -> None:
        """Release the connection pool, if a command opened one."""
        if "container" not in self.__dict__:
            return
        try:
            engine = self.container.engine()
        except SettingsError:
            return  # the settings were refused, so no pool was ever opened
        engine.dispose()
