terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

# One workspace per stage: `terraform workspace select prod`.
locals {
  environment_name = "orders-${terraform.workspace}"
}

resource "aws_s3_bucket" "airflow" {
  bucket = "acme-orders-mwaa-source"
}

resource "aws_s3_bucket_versioning" "airflow" {
  bucket = aws_s3_bucket.airflow.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_mwaa_environment" "orders" {
  name               = "orders-${terraform.workspace}"
  airflow_version    = "2.10.3"
  environment_class  = "mw1.small"
  execution_role_arn = "arn:aws:iam::123456789012:role/acme-orders-mwaa"
  source_bucket_arn  = aws_s3_bucket.airflow.arn
  dag_s3_path        = "dags/"

  network_configuration {
    security_group_ids = ["sg-0c1d2e3f4a5b60718"]
    subnet_ids         = ["subnet-0c1d2e3f4a5b60718", "subnet-18070f6e5d4c3b2c1"]
  }
}
