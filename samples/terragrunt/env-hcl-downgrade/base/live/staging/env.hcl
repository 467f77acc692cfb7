locals {
  environment     = "staging"
  airflow_version = "2.10.3"
}
