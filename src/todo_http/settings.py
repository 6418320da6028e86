"""The HTTP adapter's own settings: which browsers may call it, and how large a body may be."""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

from todo_adapters.settings import SETTINGS_CONFIG, problem, read

DEFAULT_CORS_ORIGINS: Final = ("http://localhost:3000",)


class HttpSettings(BaseSettings):
    """``CORS_ORIGINS`` and ``MAX_BODY_BYTES``, from the same environment and ``.env``."""

    model_config = SETTINGS_CONFIG

    cors_origins: Annotated[tuple[str, ...], NoDecode] = DEFAULT_CORS_ORIGINS
    max_body_bytes: int = Field(default=65536, ge=1)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            origins = tuple(str(item).strip().rstrip("/") for item in value)
            origins = tuple(origin for origin in origins if origin)
            if "*" in origins:
                raise problem("must list explicit origins; '*' is not allowed with credentials")
            return origins
        return value


def load_http_settings(**values: Any) -> HttpSettings:
    """Read them, or ``SettingsError`` with one line per problem (as ``load_settings``)."""
    return read(HttpSettings, **values)
