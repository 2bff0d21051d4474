"""Diagnostics, the rule catalogue, the checks and the renderers."""
