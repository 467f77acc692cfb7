include "root" {
  path = find_in_parent_folders("root.hcl")
}

locals {
  env = read_terragrunt_config(find_in_parent_folders("env.hcl"))
}

terraform {
  source = "../../../modules//mwaa"
}

inputs = {
  airflow_version = local.env.locals.airflow_version
}
