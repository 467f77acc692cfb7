provider "aws" {
  region = "us-east-1"
}

module "orchestration" {
  source          = "./modules/mwaa"
  name            = "orchestration"
  airflow_version = "2.10.3"
}
