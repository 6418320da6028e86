"""Helpers shared by every test package: a fake clock, task builders, strategies, oracles."""
