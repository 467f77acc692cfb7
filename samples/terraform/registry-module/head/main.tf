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

# Not installed (no terraform init): iacplan reads the call through the module's inputs.
module "mwaa" {
  source  = "aws-ia/mwaa/aws"
  version = "0.0.6"

  name              = "acme-data-prod"
  airflow_version   = "2.10.3"
  environment_class = "mw1.medium"

  vpc_id             = "vpc-0a1b2c3d4e5f60718"
  private_subnet_ids = ["subnet-0a1b2c3d4e5f60718", "subnet-18070f6e5d4c3b2a1"]

  requirements_s3_path           = "requirements.txt"
  requirements_s3_object_version = "Hn3tI4wIyY9q4b2AR0zG8mPUBVqQ5sa7"
}
