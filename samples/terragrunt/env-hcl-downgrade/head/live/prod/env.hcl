locals {
  environment     = "prod"
  airflow_version = "2.9.2"
}
