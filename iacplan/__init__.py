"""iacplan: keeps Amazon MWAA Airflow version upgrades safe in infrastructure as code."""

__version__ = "0.1.0"
# Where the tool is described (SARIF `informationUri`): its page on PyPI, where
# `pip install iacplan` installs it from.
PROJECT_URL = "https://pypi.org/project/iacplan/"
