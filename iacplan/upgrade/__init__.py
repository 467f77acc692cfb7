"""After the rules: the upgrade plan (plan.py, ordered steps for one change, reading the
findings) and the rollout order (rollout.py, which environments go first)."""
