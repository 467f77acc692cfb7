provider "aws" {
  region = var.region
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "airflow_version" {
  type        = string
  description = "Airflow version of the analytics environment"
}

variable "environment" {
  type = string
}

locals {
  name   = "analytics-${var.environment}"
  bucket = "acme-${local.name}-airflow"
}

resource "aws_s3_bucket" "dags" {
  bucket = local.bucket

  versioning {
    enabled = true
  }
}

resource "aws_mwaa_environment" "analytics" {
  name               = local.name
  airflow_version    = var.airflow_version
  execution_role_arn = "arn:aws:iam::123456789012:role/${local.name}"
  source_bucket_arn  = "arn:aws:s3:::${local.bucket}"
  dag_s3_path        = "dags/"

  network_configuration {
    security_group_ids = ["sg-0123456789abcdef0"]
    subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
  }
}
