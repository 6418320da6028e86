"""The benchmark of todo-core: the real app against a minimal "floor", under wrk.

Entry point: ``python -m bench.run`` (``make bench``); see ``bench/README.md``.
Not part of the test suite, not part of the package.
"""
