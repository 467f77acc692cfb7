"""iacplan: keeps Amazon MWAA Airflow version upgrades safe in infrastructure as code."""

__version__ = "0.1.0"
