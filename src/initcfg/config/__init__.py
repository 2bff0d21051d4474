"""Loaders: YAML, JSON and Python configs with `_base_` inheritance, never executed."""
