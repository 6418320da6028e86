"""The README's example script runs as documented: the core is usable without HTTP."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plan_a_week.py"


def run_example(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
        timeout=120,
    )
    return result.stdout


def test_the_example_script_plans_a_week_in_memory(tmp_path: Path) -> None:
    output = run_example(cwd=tmp_path)

    assert output.splitlines()[0] == "3 tasks, 1 done, 2 to go"
    assert "[x]" in output
    assert "Write the report (high)" in output


def test_the_example_script_keeps_its_tasks_in_a_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'week.db'}"

    first = run_example(url, cwd=tmp_path)
    second = run_example(url, cwd=tmp_path)

    assert first.splitlines()[0] == "3 tasks, 1 done, 2 to go"
    assert second.splitlines()[0] == "6 tasks, 2 done, 4 to go"
