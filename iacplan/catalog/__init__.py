"""The knowledge changes are judged against: Airflow versions, the MWAA catalog, Terraform
version constraints."""
