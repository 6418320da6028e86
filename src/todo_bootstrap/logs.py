"""How loud the MCP SDK's own loggers are, wherever the composition root serves MCP."""

from __future__ import annotations

from typing import Final

#: The SDK's loggers (``mcp.server.lowlevel.server`` logs every request it handles at INFO).
MCP_SDK_LOGGER: Final = "mcp"


def quiet_sdk_level(level: str) -> str:
    """WARNING for the MCP SDK's loggers, unless ``LOG_LEVEL`` asks for more (DEBUG) or less."""
    return level if level in ("DEBUG", "WARNING", "ERROR", "CRITICAL") else "WARNING"
