# Shared by every unit: state per unit, the environment's settings from its env.hcl.
locals {
  env_vars    = read_terragrunt_config(find_in_parent_folders("env.hcl"))
  environment = local.env_vars.locals.environment
}

remote_state {
  backend = "s3"
  config = {
    bucket  = "analytics-tfstate-${local.environment}"
    key     = "${path_relative_to_include()}/terraform.tfstate"
    region  = "eu-west-1"
    encrypt = true
  }
}

inputs = {
  environment       = local.environment
  source_bucket_arn = "arn:aws:s3:::analytics-airflow-${local.environment}"
}
