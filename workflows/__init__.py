"""Deterministic workflow code: depends on domain and the activity contracts only."""
