terraform {
  backend "s3" {}
}

provider "aws" {
  region = var.region
}

variable "region" {
  default = "eu-west-1"
}

variable "name" {
  default = "mwaa"
}

variable "airflow_version" {
  default = "2.10.3"
}

resource "aws_mwaa_environment" "this" {
  name               = var.name
  airflow_version    = var.airflow_version
  execution_role_arn = "arn:aws:iam::123456789012:role/${var.name}-mwaa"
  source_bucket_arn  = "arn:aws:s3:::${var.name}-source"
  dag_s3_path        = "dags/"

  network_configuration {
    security_group_ids = ["sg-0a9b8c7d6e5f40312"]
    subnet_ids         = ["subnet-0a9b8c7d6e5f40312", "subnet-2130f4e5d6c7b8a90"]
  }
}
