locals {
  environment     = "prod"
  airflow_version = "2.10.3"
}
