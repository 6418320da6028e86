"""The core must load with nothing but the standard library."""

import subprocess
import sys

PROBE = """
import sys
import todo_core.edits, todo_core.errors, todo_core.model, todo_core.ports
import todo_core.queries, todo_core.services
allowed = set(sys.stdlib_module_names) | {"todo_core", "__main__", "_distutils_hack"}
foreign = sorted({name.split(".")[0] for name in sys.modules} - allowed)
print(",".join(foreign))
"""


def test_importing_the_core_loads_only_the_standard_library_and_itself() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == ""
