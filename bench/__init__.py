"""`cancelflow bench` / `python -m bench`: the case against bare workflows of the same shape.

See docs/BENCHMARKS.md for what each row measures and the latest results.
"""
