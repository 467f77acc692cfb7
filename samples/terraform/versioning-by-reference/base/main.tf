terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

provider "aws" {
  region = "ap-southeast-2"
}

# Bucket names are global: a random suffix keeps them unique.
resource "random_id" "suffix" {
  byte_length = 4
}

resource "aws_s3_bucket" "dags" {
  bucket = "acme-ml-dags-${random_id.suffix.hex}"
}

resource "aws_s3_bucket_versioning" "dags" {
  bucket = aws_s3_bucket.dags.id
  versioning_configuration {
    status = "Suspended" # turned off to save storage, and never turned back on
  }
}

# Access logs go to a bucket of their own, which is versioned.
resource "aws_s3_bucket" "logs" {
  bucket = "acme-ml-mwaa-logs-${random_id.suffix.hex}"
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_mwaa_environment" "ml" {
  name               = "acme-ml"
  airflow_version    = "2.9.2"
  execution_role_arn = "arn:aws:iam::123456789012:role/acme-ml-mwaa"
  source_bucket_arn  = aws_s3_bucket.dags.arn
  dag_s3_path        = "dags/"

  network_configuration {
    security_group_ids = ["sg-0f1e2d3c4b5a60718"]
    subnet_ids         = ["subnet-0f1e2d3c4b5a60718", "subnet-18070f6e5d4c3b2f1"]
  }
}
