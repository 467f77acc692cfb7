# Pinned back to the version the DAG tests still pass on, until the provider bump lands.
variable "airflow_version" {
  default = "2.9.2"
}

resource "aws_mwaa_environment" "billing" {
  environment_class = "mw1.medium"

  tags = {
    owner = "billing-data"
  }
}
