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

variable "airflow_version" {
  type    = string
  default = "2.10.3"
}

resource "aws_s3_bucket" "airflow" {
  bucket = "acme-billing-mwaa-source"
}

resource "aws_s3_bucket_versioning" "airflow" {
  bucket = aws_s3_bucket.airflow.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_mwaa_environment" "billing" {
  name               = "acme-billing"
  airflow_version    = var.airflow_version
  environment_class  = "mw1.small"
  execution_role_arn = "arn:aws:iam::123456789012:role/acme-billing-mwaa"
  source_bucket_arn  = aws_s3_bucket.airflow.arn
  dag_s3_path        = "dags/"

  network_configuration {
    security_group_ids = ["sg-0a2b3c4d5e6f70819"]
    subnet_ids         = ["subnet-0a2b3c4d5e6f70819", "subnet-19080f7e6d5c4b3a2"]
  }
}
