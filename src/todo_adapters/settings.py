"""Configuration from the environment (and a ``.env`` file), checked once at startup.

Nothing is read at import time: ``load_settings()`` (or the container's
``settings`` provider) builds the object. Every problem is reported on a line
of its own, naming the variable and never showing a secret, so a server that
refuses to start says why in words an operator can act on.

A value that is set must be well-formed, whatever the command; whether a
setting is *needed* is decided where it is used (``require_token_settings``
when tokens are verified), so ``todo db upgrade`` runs with only
``DATABASE_URL``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Literal, TypeVar

from limits import parse_many
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from todo_adapters.jwt.hmac_secret import MIN_SECRET_BYTES

DEFAULT_DATABASE_URL: Final = "sqlite:///./todo.db"
DEFAULT_RATE_LIMIT: Final = "1200/minute"
RATE_LIMIT_OFF: Final = "off"

_LOG_LEVELS: Final = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")

NO_WAY_TO_VERIFY_TOKENS: Final = (
    "JWT_SECRET (or BETTER_AUTH_SECRET) or JWKS_URL must be set to verify tokens"
)


class SettingsError(ValueError):
    """The configuration is unusable; ``problems`` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


#: How every settings class reads the environment and ``.env``.
SETTINGS_CONFIG: Final = SettingsConfigDict(
    env_file=".env",
    env_file_encoding="utf-8",
    env_ignore_empty=True,
    extra="ignore",
    case_sensitive=False,
    populate_by_name=True,
    hide_input_in_errors=True,
)

S = TypeVar("S", bound=BaseSettings)


def problem(message: str) -> PydanticCustomError:
    """A settings problem, worded for the operator (the variable is named by ``read``)."""
    return PydanticCustomError("settings", message)


class Settings(BaseSettings):
    """The settings of the storage, tokens and logs; variable names are the field names upper-cased.

    Those of one driving adapter live beside it (``todo_http.settings``).
    """

    model_config = SETTINGS_CONFIG

    database_url: str = DEFAULT_DATABASE_URL
    jwt_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("JWT_SECRET", "BETTER_AUTH_SECRET")
    )
    jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_seconds: float = Field(default=30, ge=0, allow_inf_nan=False)
    jwks_timeout_seconds: float = Field(default=5, gt=0, allow_inf_nan=False)
    db_pool_size: int = Field(default=10, ge=1)
    db_pool_recycle_seconds: int = Field(default=1800, ge=-1)
    db_pool_timeout_seconds: float = Field(default=10, gt=0, allow_inf_nan=False)
    db_connect_timeout_seconds: int = Field(default=5, ge=1)
    db_ping_after_idle_seconds: float = Field(default=1.0, ge=0, allow_inf_nan=False)
    db_statement_timeout_ms: int = Field(default=5000, ge=0)
    db_prepared_statements: bool = True
    changes_retention_days: int = Field(default=30, ge=1)
    max_tasks_per_user: int = Field(default=10_000, ge=1)
    rate_limit: str = DEFAULT_RATE_LIMIT
    redis_url: str | None = None
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator("database_url")
    @classmethod
    def _database_url_parses(cls, value: str) -> str:
        text = value.strip()
        try:
            make_url(text)
        except (ArgumentError, ValueError):
            raise problem(
                "cannot be parsed; expected postgresql://user:password@host/db "
                "or sqlite:///path/to/file.db"
            ) from None
        return text

    @field_validator("jwt_secret")
    @classmethod
    def _secret_is_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        size = len(value.get_secret_value().encode("utf-8"))
        if size < MIN_SECRET_BYTES:
            raise problem(f"must be at least {MIN_SECRET_BYTES} bytes, got {size}")
        return value

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit_parses(cls, value: str) -> str:
        text = value.strip()
        if text.lower() == RATE_LIMIT_OFF:
            return RATE_LIMIT_OFF
        try:
            parse_many(text)
        except ValueError:
            raise problem("expected a rate such as 1200/minute or 20/second (or off)") from None
        return text

    @field_validator("redis_url")
    @classmethod
    def _redis_url_is_redis(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip()
        if not text.startswith(("redis://", "rediss://")):
            raise problem("expected redis://host:port/db (or rediss://)")
        return text

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in _LOG_LEVELS:
            raise problem(f"must be one of {', '.join(_LOG_LEVELS)}")
        return level


def load_settings(**values: Any) -> Settings:
    """Read the settings, or raise ``SettingsError`` with one line per problem.

    Keyword arguments win over the environment (tests and scripts use them);
    ``_env_file=None`` ignores the ``.env`` file.
    """
    return read(Settings, **values)


def read(settings_class: type[S], **values: Any) -> S:
    """Any settings class read as ``load_settings`` reads ``Settings``."""
    try:
        return settings_class(**values)
    except ValidationError as error:
        raise SettingsError(
            [_describe(item) for item in error.errors(include_input=False)]
        ) from None


def require_token_settings(settings: Settings) -> None:
    """Raise ``SettingsError`` unless a secret or a JWKS URL is set (serving needs one)."""
    if settings.jwt_secret is None and settings.jwks_url is None:
        raise SettingsError([NO_WAY_TO_VERIFY_TOKENS])


def _describe(item: Any) -> str:
    location = item.get("loc") or ()
    message = str(item.get("msg", "is invalid"))
    if not location:
        return message
    name = str(location[0]).upper()
    if name == "JWT_SECRET":
        name = "JWT_SECRET (or BETTER_AUTH_SECRET)"
    return f"{name}: {message}"
