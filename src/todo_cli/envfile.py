"""The development ``.env``: written once from ``.env.example`` with a fresh secret."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

_SECRET_LINE = re.compile(r"^#?\s*JWT_SECRET=.*$", re.MULTILINE)


def ensure_env_file(path: Path = Path(".env"), example: Path = Path(".env.example")) -> bool:
    """Create ``path`` if missing (never overwrite); return whether it was created."""
    if path.exists():
        return False
    template = example.read_text(encoding="utf-8") if example.exists() else "JWT_SECRET=\n"
    line = f"JWT_SECRET={secrets.token_urlsafe(48)}"
    if _SECRET_LINE.search(template):
        text = _SECRET_LINE.sub(line, template, count=1)
    else:
        text = f"{template.rstrip()}\n{line}\n"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return True
