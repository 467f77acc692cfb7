terraform {
  required_version = ">= 1.7"
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

# The reporting team now manages this environment in its own repository: stop managing it
# here without destroying it.
removed {
  from = aws_mwaa_environment.legacy_reporting

  lifecycle {
    destroy = false
  }
}

# Its successor stays here.
resource "aws_mwaa_environment" "reporting" {
  name               = "acme-reporting"
  airflow_version    = "2.10.3"
  execution_role_arn = "arn:aws:iam::123456789012:role/acme-reporting"
  source_bucket_arn  = aws_s3_bucket.reporting.arn
  dag_s3_path        = "dags/"

  network_configuration {
    security_group_ids = ["sg-0b1c2d3e4f5a60718"]
    subnet_ids         = ["subnet-0b1c2d3e4f5a60718", "subnet-18070f6e5d4c3b2b1"]
  }
}

resource "aws_s3_bucket" "reporting" {
  bucket = "acme-reporting-dags"
}

resource "aws_s3_bucket_versioning" "reporting" {
  bucket = aws_s3_bucket.reporting.id
  versioning_configuration {
    status = "Enabled"
  }
}
