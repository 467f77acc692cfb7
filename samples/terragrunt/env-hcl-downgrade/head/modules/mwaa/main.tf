variable "environment" {
  type = string
}

variable "airflow_version" {
  type    = string
  default = "2.10.3"
}

variable "source_bucket_arn" {
  type = string
}

resource "aws_mwaa_environment" "this" {
  name               = "analytics-${var.environment}"
  airflow_version    = var.airflow_version
  source_bucket_arn  = var.source_bucket_arn
  dag_s3_path        = "dags/"
  execution_role_arn = "arn:aws:iam::123456789012:role/mwaa-${var.environment}"

  network_configuration {
    security_group_ids = ["sg-0a1b2c3d4e5f60718"]
    subnet_ids         = ["subnet-0a1b2c3d", "subnet-4e5f6071"]
  }
}
