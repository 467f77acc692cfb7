"""Terragrunt live trees: units (`units.py`), their configuration (`config.py`, over
`expressions.py`), and what the Terraform evaluation runs of them (`run.py`)."""
