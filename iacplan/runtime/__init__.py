"""Process plumbing below everything else: the forked evaluator, the worker pool, signals, limits.

Kept empty: `iacplan.__main__` imports `runtime.forked` before anything else, for the cold start."""
