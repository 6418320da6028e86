"""The composition root: wiring the driven adapters into every entry point."""
