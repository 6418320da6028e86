"""What every command shares: the container, built once and only when needed."""

from __future__ import annotations

from functools import cached_property

from todo_adapters.container import Container
from todo_adapters.settings import Settings, SettingsError
from todo_core.services import TaskService


class CliContext:
    """Lazily wires the same services the HTTP app uses (no HTTP involved)."""

    @cached_property
    def container(self) -> Container:
        return Container()

    @property
    def settings(self) -> Settings:
        settings: Settings = self.container.settings()
        return settings

    @property
    def tasks(self) -> TaskService:
        service: TaskService = self.container.task_service()
        return service

    def close(self) -> None:
        """Release the connection pool, if a command opened one."""
        if "container" not in self.__dict__:
            return
        try:
            engine = self.container.engine()
        except SettingsError:
            return  # the settings were refused, so no pool was ever opened
        engine.dispose()
