provider "aws" {
  region = "eu-north-1"
}

module "etl" {
  source = "./modules/mwaa"
  name              = "acme-etl"
  environment_class = "mw1.medium"
}

module "sandbox" {
  source          = "./modules/mwaa"
  name            = "acme-sandbox"
  airflow_version = ""
}
