terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }
}

provider "aws" {
  region = "eu-central-1"
}

# Networking from the data platform's shared repository: nothing to do with MWAA itself.
module "network" {
  source     = "git::https://github.com/acme/airflow-infra.git//network?ref=v1.8.0"
  cidr_block = "10.42.0.0/16"
}

# The company's own MWAA wrapper, pinned by tag; `terraform init` has not been run here.
module "scheduler" {
  source = "git::https://github.com/acme/platform-modules.git//mwaa?ref=v3.2.0"

  environment_name     = "acme-scheduler-prod"
  mwaa_airflow_version = "2.9.2"
  environment_class    = "mw1.medium"
  private_subnet_ids   = module.network.private_subnet_ids
}
