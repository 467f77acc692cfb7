provider "aws" {
  region = "eu-west-1"
}

data "aws_ssm_parameter" "airflow_version" {
  name = "/platform/mwaa/airflow-version"
}

resource "aws_mwaa_environment" "main" {
  name               = "platform"
  airflow_version    = data.aws_ssm_parameter.airflow_version.value
  execution_role_arn = "arn:aws:iam::123456789012:role/platform-mwaa"
  source_bucket_arn  = "arn:aws:s3:::platform-mwaa-source"
  dag_s3_path        = "dags/"
  max_workers        = 10

  network_configuration {
    security_group_ids = ["sg-0123456789abcdef0"]
    subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
  }
}
