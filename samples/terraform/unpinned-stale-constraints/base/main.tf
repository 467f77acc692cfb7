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

resource "aws_s3_bucket" "airflow" {
  bucket = "acme-ml-mwaa-source"
}

resource "aws_s3_bucket_versioning" "airflow" {
  bucket = aws_s3_bucket.airflow.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "airflow" {
  bucket                  = aws_s3_bucket.airflow.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_mwaa_environment" "main" {
  name               = "acme-ml-prod"
  airflow_version    = "2.9.2"
  environment_class  = "mw1.medium"
  execution_role_arn = "arn:aws:iam::123456789012:role/acme-ml-mwaa"
  source_bucket_arn  = aws_s3_bucket.airflow.arn
  dag_s3_path        = "dags/"

  requirements_s3_path = "requirements.txt"

  plugins_s3_path           = "plugins.zip"
  plugins_s3_object_version = "Vd0mZ7x2Q5bXW1kGk3sF9r0tYpLhA4cE"

  network_configuration {
    security_group_ids = ["sg-0a1b2c3d4e5f60718"]
    subnet_ids         = ["subnet-0a1b2c3d4e5f60718", "subnet-18070f6e5d4c3b2a1"]
  }
}
