"""The ``todo`` command: a driving adapter beside HTTP that calls the same use cases."""
