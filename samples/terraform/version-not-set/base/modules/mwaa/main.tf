variable "name" {
  type = string
}

variable "airflow_version" {
  type        = string
  default     = ""
  description = "Empty for the newest version MWAA offers when the environment is created."
}

variable "environment_class" {
  type    = string
  default = "mw1.small"
}

resource "aws_s3_bucket" "source" {
  bucket = "${var.name}-source"
}

resource "aws_s3_bucket_versioning" "source" {
  bucket = aws_s3_bucket.source.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_mwaa_environment" "this" {
  name               = var.name
  airflow_version    = var.airflow_version
  environment_class  = var.environment_class
  execution_role_arn = "arn:aws:iam::123456789012:role/${var.name}-mwaa"
  source_bucket_arn  = aws_s3_bucket.source.arn
  dag_s3_path        = "dags/"

  network_configuration {
    security_group_ids = ["sg-0d1e2f3a4b5c60718"]
    subnet_ids         = ["subnet-0d1e2f3a4b5c60718", "subnet-18070f6e5d4c3b2d1"]
  }
}
