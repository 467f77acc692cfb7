"""Airflow's constraints files: the line written for a version, and the URLs read back."""

from __future__ import annotations

import pytest
from packaging.version import Version

from iacplan.catalog import constraints


def test_the_line_names_the_airflow_version_and_the_python_file() -> None:
    assert constraints.line(Version("2.10.3"), "3.11") == (
        '--constraint "https://raw.githubusercontent.com/apache/airflow/'
        'constraints-2.10.3/constraints-3.11.txt"'
    )
    assert constraints.file_name("3.12") == "constraints-3.12.txt"


def test_what_is_written_is_read_back() -> None:
    match = constraints.URL.fullmatch(constraints.url(Version("3.0.6"), "3.12"))
    assert match is not None
    assert (match["airflow"], match["file"]) == ("3.0.6", "constraints-3.12.txt")


@pytest.mark.parametrize(
    ("url", "airflow"),
    [
        (
            "https://raw.githubusercontent.com/apache/airflow/refs/tags/constraints-2.9.2/c.txt",
            "2.9.2",
        ),
        (
            "https://raw.githubusercontent.com/apache/airflow/refs/heads/constraints-2-10/c.txt",
            "2-10",
        ),
        ("https://raw.githubusercontent.com/apache/airflowx/constraints-2.9.2/c.txt", None),
        ("https://raw.githubusercontent.com/apache/airflow/constraints-2.9.2/", None),
        ("https://example.com/apache/airflow/constraints-2.9.2/c.txt", None),
    ],
)
def test_only_apache_airflow_constraints_urls_are_read(url: str, airflow: str | None) -> None:
    match = constraints.URL.fullmatch(url)
    assert (match["airflow"] if match else None) == airflow
