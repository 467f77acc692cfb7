"""Apache Airflow's constraints files: what pip installs an Airflow version's providers against,
one file per Airflow version and Python minor version (MWAA_FACTS §4). The requirements.txt line
that names one is written here, and read (inputs/requirements.py) with the pattern here."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from packaging.version import Version

# Airflow's install docs and MWAA's: constraints-<AIRFLOW_VERSION>/constraints-<PY_MAJOR.MINOR>.txt
BASE = "https://raw.githubusercontent.com/apache/airflow/"
# Also a branch or tag ref spelled out (`refs/heads/…`, `refs/tags/…`).
URL = re.compile(
    re.escape(BASE) + r"(?:refs/(?:heads|tags)/)?"
    r"constraints-(?P<airflow>[^/]+)/(?P<file>[^/?#]+)"
)


def file_name(python: str) -> str:
    """The constraints file of one Python minor version, e.g. constraints-3.11.txt."""
    return f"constraints-{python}.txt"


def url(version: Version, python: str) -> str:
    return f"{BASE}constraints-{version}/{file_name(python)}"


def line(version: Version, python: str) -> str:
    """The requirements.txt line for Airflow `version` on Python `python`."""
    return f'--constraint "{url(version, python)}"'
