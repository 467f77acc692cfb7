terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

# The platform team's feature flags, from a module nobody has run `terraform init` for here.
module "platform" {
  source  = "app.terraform.io/acme/platform-flags/aws"
  version = "~> 2.4"
  account = "analytics"
}

resource "aws_s3_bucket" "airflow" {
  bucket = "acme-analytics-mwaa"
}

resource "aws_s3_bucket_versioning" "airflow" {
  bucket = aws_s3_bucket.airflow.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_mwaa_environment" "analytics" {
  count = module.platform.mwaa_enabled ? 1 : 0

  name               = "acme-analytics"
  airflow_version    = "2.9.2"
  execution_role_arn = "arn:aws:iam::123456789012:role/acme-analytics-mwaa"
  source_bucket_arn  = aws_s3_bucket.airflow.arn
  dag_s3_path        = "dags/"

  network_configuration {
    security_group_ids = ["sg-0e1f2a3b4c5d60718"]
    subnet_ids         = ["subnet-0e1f2a3b4c5d60718", "subnet-18070f6e5d4c3b2e1"]
  }
}
