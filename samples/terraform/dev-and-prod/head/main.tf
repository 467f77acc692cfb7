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

# One environment per stage; the `environment` tag tells which goes first in an upgrade.
locals {
  stages = {
    dev = {
      version      = "2.11.0"
      requirements = "Yb3nM5qW7eR9tY1uI3oP5aS7dF9gH1jK"
      plugins      = "Ce5rT7yU9iO1pA3sD5fG7hJ9kL1zX3cV"
      startup      = "Mn4bV6cX8zL0kJ2hG4fD6sA8qW0eR2tY"
    }
    prod = {
      version      = "2.11.0"
      requirements = "Wc6vB8nM0qW2eR4tY6uI8oP0aS2dF4gH"
      plugins      = "Pz9xC7vB5nM3lK1jH9gF7dS5aQ3wE1rT"
      startup      = "Ku7iO9pA1sD3fG5hJ7kL9zX1cV3bN5mQ"
    }
  }
}

resource "aws_s3_bucket" "airflow" {
  for_each = local.stages
  bucket   = "acme-airflow-${each.key}"
}

resource "aws_s3_bucket_versioning" "airflow" {
  for_each = local.stages
  bucket   = aws_s3_bucket.airflow[each.key].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_mwaa_environment" "airflow" {
  for_each           = local.stages
  name               = "acme-${each.key}"
  airflow_version    = each.value.version
  execution_role_arn = "arn:aws:iam::123456789012:role/acme-${each.key}-mwaa"
  source_bucket_arn  = aws_s3_bucket.airflow[each.key].arn
  dag_s3_path        = "dags/"

  requirements_s3_path             = "requirements/requirements.txt"
  requirements_s3_object_version   = each.value.requirements
  plugins_s3_path                  = "plugins/plugins.zip"
  plugins_s3_object_version        = each.value.plugins
  startup_script_s3_path           = "startup/startup.sh"
  startup_script_s3_object_version = each.value.startup

  network_configuration {
    security_group_ids = ["sg-0123456789abcdef0"]
    subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
  }

  tags = {
    environment = each.key
    team        = "data-platform"
  }
}
