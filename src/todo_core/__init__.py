"""todo-core: the framework-free domain of the task service (standard library only)."""
