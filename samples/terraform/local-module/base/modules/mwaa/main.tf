variable "name" {
  type = string
}

variable "airflow_version" {
  type    = string
  default = "2.7.2"
}

variable "environment_class" {
  type    = string
  default = "mw1.small"
}

resource "aws_s3_bucket" "source" {
  bucket = "${var.name}-mwaa-source"
}

resource "aws_s3_bucket_versioning" "source" {
  bucket = aws_s3_bucket.source.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "source" {
  bucket = aws_s3_bucket.source.id
  rule {
    id     = "expire-logs"
    status = "Enabled"
    expiration {
      days = 30
    }
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
    security_group_ids = ["sg-0123456789abcdef0"]
    subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
  }
}
