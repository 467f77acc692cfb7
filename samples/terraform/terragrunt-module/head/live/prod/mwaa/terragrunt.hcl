include "root" {
  path = find_in_parent_folders("root.hcl")
}

terraform {
  source = "${get_parent_terragrunt_dir()}/../modules//mwaa"
}

inputs = {
  name            = "acme-reporting-prod"
  airflow_version = "3.0.6"
}
