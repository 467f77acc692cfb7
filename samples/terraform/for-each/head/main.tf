provider "aws" {
  region = "eu-central-1"
}

locals {
  environments = {
    prod    = { version = "2.10.3", class = "mw1.large" }
    staging = { version = "2.10.3", class = "mw1.small" }
  }
}

resource "aws_s3_bucket" "airflow" {
  for_each = local.environments
  bucket   = "acme-airflow-${each.key}"
}

resource "aws_s3_bucket_versioning" "airflow" {
  for_each = local.environments
  bucket   = aws_s3_bucket.airflow[each.key].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_mwaa_environment" "airflow" {
  for_each           = local.environments
  name               = "acme-${each.key}"
  airflow_version    = each.value.version
  environment_class  = each.value.class
  execution_role_arn = "arn:aws:iam::123456789012:role/acme-${each.key}-mwaa"
  source_bucket_arn  = aws_s3_bucket.airflow[each.key].arn
  dag_s3_path        = "dags/"

  network_configuration {
    security_group_ids = ["sg-0123456789abcdef0"]
    subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
  }
}
