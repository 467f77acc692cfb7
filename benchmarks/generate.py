"""Synthetic monorepos for benchmarking: Terraform roots and modules, CloudFormation templates.

    python benchmarks/generate.py --size medium --shape sparse --out /tmp/bench/medium-sparse

Sizes (Terraform module directories / CloudFormation templates): small 10/10, medium 200/100,
large 2000/500. Shapes: *sparse*, an MWAA environment in about 3% of the module directories
and templates (the usual monorepo), and *dense*, one in every module directory and template
(the worst case). The filler is what platform monorepos hold: VPCs and subnets, security
groups, IAM roles and policies, S3 buckets, Lambda functions, RDS databases; roots call
library modules (which sometimes call each other) with variables and tfvars. The same
arguments always give the same bytes.

With --shared-module (off by default, so the trees of the other benchmarks stay as they
were), every root that defines an MWAA environment, itself or through its modules, also calls
one local module, `modules/shared-tags`, and uses its output: the module a pull request
changes under every environment at once (benchmarks/pr.py).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import shutil
from pathlib import Path
from typing import Any

SIZES = {"small": (10, 10), "medium": (200, 100), "large": (2000, 500)}
SHAPES = ("sparse", "dense")
SPARSE_SHARE = 0.03
KINDS = ("network", "iam", "storage", "lambda", "database")
VERSIONS = ("2.9.2", "2.10.1", "2.10.3", "2.11.0")


def generate(size: str, shape: str, out: Path, seed: int = 8, shared_module: bool = False) -> Path:
    """Write the monorepo under `out` (replacing it): `out/terraform`, `out/cloudformation`.
    `shared_module` adds `terraform/modules/shared-tags`, called by every MWAA root; it draws
    nothing from the random generator, so the rest of the tree is the same bytes as without."""
    modules, templates = SIZES[size]
    rng = random.Random(f"{size}-{shape}-{seed}")
    if out.exists():
        shutil.rmtree(out)
    _terraform(out / "terraform", modules, shape, rng, shared_module)
    _cloudformation(out / "cloudformation", templates, shape, rng)
    return out


def _holders(count: int, shape: str, rng: random.Random) -> set[int]:
    """Which of `count` directories or templates hold an MWAA environment."""
    if shape == "dense":
        return set(range(count))
    return set(rng.sample(range(count), max(1, math.ceil(count * SPARSE_SHARE))))


# --- Terraform ---------------------------------------------------------------------------


def _terraform(
    top: Path, count: int, shape: str, rng: random.Random, shared_module: bool = False
) -> None:
    roots = max(1, round(count * 0.4))
    library = count - roots
    names = [f"{KINDS[i % len(KINDS)]}-{i:04d}" for i in range(library)]
    holders = _holders(count, shape, rng)  # roots first, then library modules
    calls: dict[int, list[int]] = {r: [] for r in range(roots)}
    for index in range(library):  # nearly every library module has a caller
        if index % 10 != 9 or roots == count:
            calls[rng.randrange(roots)].append(index)
    for root in range(roots):
        extra = rng.sample(range(library), min(library, rng.randint(0, 2))) if library else []
        calls[root] = sorted(set(calls[root] + extra))
    # Only modules that hold an environment, or call one that does, take airflow_version.
    versioned: list[bool] = []
    for index, name in enumerate(names):
        nested = [rng.randrange(index)] if index and rng.random() < 0.2 else []
        holds = roots + index in holders
        versioned.append(holds or any(versioned[n] for n in nested))
        _module(top / "modules" / name, index, nested, names, holds, versioned, rng)
    if shared_module:
        _write(top / "modules" / SHARED_MODULE / "main.tf", SHARED_TAGS)
    for root in range(roots):
        team, env = f"team-{root % 25:02d}", rng.choice(("dev", "stage", "prod"))
        directory = top / "live" / team / f"{env}-{root:04d}"
        _root(directory, root, calls[root], names, root in holders, versioned, rng, shared_module)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _call(name: str, source: str, prefix: str, tags: str, versioned: bool) -> str:
    version = "  airflow_version = var.airflow_version\n" if versioned else ""
    return (
        f'module "{name.replace("-", "_")}" {{\n'
        f'  source = "{source}"\n'
        f'  name   = "${{var.{prefix}}}-{name}"\n'
        f"  tags   = {tags}\n"
        f"{version}}}\n"
    )


def _module(
    directory: Path,
    index: int,
    nested: list[int],
    names: list[str],
    mwaa: bool,
    versioned: list[bool],
    rng: random.Random,
) -> None:
    kind = KINDS[index % len(KINDS)]
    blocks = [FILLER[kind](f"{kind}{n}", rng) for n in range(rng.randint(4, 7))]
    blocks += [FILLER[rng.choice(KINDS)](f"extra{n}", rng) for n in range(rng.randint(4, 7))]
    for callee in nested:
        name = names[callee]
        blocks.append(_call(name, f"../{name}", "name", "var.tags", versioned[callee]))
    if mwaa:
        blocks.append(_mwaa_resource("this", "var.airflow_version", "${var.name}-airflow"))
    _write(directory / "main.tf", "\n".join(blocks))
    _write(directory / "variables.tf", VARIABLES + (AIRFLOW_VARIABLE if versioned[index] else ""))
    _write(directory / "outputs.tf", f'output "id" {{\n  value = "{kind}-{index}"\n}}\n')


def _root(
    directory: Path,
    index: int,
    callees: list[int],
    names: list[str],
    mwaa: bool,
    versioned: list[bool],
    rng: random.Random,
    shared_module: bool = False,
) -> None:
    blocks = [PROVIDER % (f"state-{index:04d}", rng.choice(("eu-west-1", "us-east-1")))]
    for callee in callees:
        name = names[callee]
        source = f"../../../modules/{name}"
        blocks.append(_call(name, source, "prefix", "local.tags", versioned[callee]))
    blocks += [FILLER[rng.choice(KINDS)](f"root{n}", rng) for n in range(rng.randint(2, 5))]
    if mwaa:
        blocks.append(_mwaa_resource("main", "var.airflow_version", "${var.prefix}-airflow"))
        if index % 3 == 1:  # the registry module, read through its inputs
            blocks.append(REGISTRY_MODULE)
    if shared_module and (mwaa or any(versioned[c] for c in callees)):
        blocks.append(SHARED_CALL)
    _write(directory / "main.tf", "\n".join(blocks))
    tfvars = f'prefix = "acme-{index:04d}"\n'
    variables = 'variable "prefix" {\n  type = string\n}\n'
    if mwaa or any(versioned[c] for c in callees):
        tfvars += f'airflow_version = "{rng.choice(VERSIONS)}"\n'
        variables += AIRFLOW_VARIABLE
    _write(directory / "terraform.tfvars", tfvars)
    _write(directory / "variables.tf", variables)


PROVIDER = """terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }
  backend "s3" {
    bucket = "acme-terraform-state"
    key    = "%s.tfstate"
    region = "eu-west-1"
  }
}

provider "aws" {
  region = "%s"
}

locals {
  tags = {
    Owner      = "platform"
    CostCenter = "cc-1234"
    ManagedBy  = "terraform"
  }
}
"""

VARIABLES = """variable "name" {
  type        = string
  description = "Name prefix for every resource of this module."
}

variable "tags" {
  type    = map(string)
  default = {}
}

variable "cidr_block" {
  type    = string
  default = "10.20.0.0/16"
}

variable "retention_days" {
  type    = number
  default = 30
}
"""

AIRFLOW_VARIABLE = """
variable "airflow_version" {
  type    = string
  default = null
}
"""

SHARED_MODULE = "shared-tags"

SHARED_TAGS = """variable "team" {
  type    = string
  default = "platform"
}

output "tags" {
  value = {
    Owner      = var.team
    CostCenter = "cc-1234"
    ManagedBy  = "terraform"
  }
}
"""

SHARED_CALL = """module "shared_tags" {
  source = "../../../modules/shared-tags"
  team   = "data"
}

output "shared_tags" {
  value = module.shared_tags.tags
}
"""

REGISTRY_MODULE = """module "airflow_registry" {
  source  = "aws-ia/mwaa/aws"
  version = "0.0.6"

  name              = "${var.prefix}-registry"
  airflow_version   = var.airflow_version
  environment_class = "mw1.small"
  vpc_id            = "vpc-0a1b2c3d4e5f60718"
  private_subnet_ids = ["subnet-0a1b2c3d4e5f60718", "subnet-18070f6e5d4c3b2a1"]
}
"""


def _mwaa_resource(name: str, version: str, env_name: str) -> str:
    return f"""resource "aws_s3_bucket" "{name}_dags" {{
  bucket = "{env_name}-dags"
}}

resource "aws_s3_bucket_versioning" "{name}_dags" {{
  bucket = aws_s3_bucket.{name}_dags.id
  versioning_configuration {{
    status = "Enabled"
  }}
}}

resource "aws_iam_role" "{name}_execution" {{
  name = "{env_name}-execution"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ Service = ["airflow.amazonaws.com", "airflow-env.amazonaws.com"] }}
      Action    = "sts:AssumeRole"
    }}]
  }})
}}

resource "aws_mwaa_environment" "{name}" {{
  name               = "{env_name}"
  airflow_version    = {version}
  environment_class  = "mw1.medium"
  execution_role_arn = aws_iam_role.{name}_execution.arn
  source_bucket_arn  = aws_s3_bucket.{name}_dags.arn
  dag_s3_path        = "dags/"
  max_workers        = 10

  network_configuration {{
    security_group_ids = ["sg-0a1b2c3d4e5f60718"]
    subnet_ids         = ["subnet-0a1b2c3d4e5f60718", "subnet-18070f6e5d4c3b2a1"]
  }}

  logging_configuration {{
    dag_processing_logs {{
      enabled   = true
      log_level = "INFO"
    }}
    task_logs {{
      enabled   = true
      log_level = "INFO"
    }}
  }}
}}
"""


def _network(name: str, rng: random.Random) -> str:
    azs = rng.randint(2, 3)
    return f"""resource "aws_vpc" "{name}" {{
  cidr_block           = var.cidr_block
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(var.tags, {{ Name = "${{var.name}}-vpc" }})
}}

resource "aws_subnet" "{name}_private" {{
  count             = {azs}
  vpc_id            = aws_vpc.{name}.id
  cidr_block        = cidrsubnet(var.cidr_block, 4, count.index)
  availability_zone = element(["eu-west-1a", "eu-west-1b", "eu-west-1c"], count.index)
  tags              = merge(var.tags, {{ Tier = "private" }})
}}

resource "aws_security_group" "{name}" {{
  name        = "${{var.name}}-sg"
  description = "Managed by Terraform"
  vpc_id      = aws_vpc.{name}.id

  ingress {{
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [var.cidr_block]
  }}

  egress {{
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }}
}}
"""


def _iam(name: str, rng: random.Random) -> str:
    actions = rng.sample(
        ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "logs:CreateLogStream",
         "logs:PutLogEvents", "sqs:SendMessage", "kms:Decrypt", "dynamodb:GetItem"],
        4,
    )  # fmt: skip
    return f"""resource "aws_iam_role" "{name}" {{
  name = "${{var.name}}-{name}"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ Service = "lambda.amazonaws.com" }}
      Action    = "sts:AssumeRole"
    }}]
  }})
  tags = var.tags
}}

resource "aws_iam_policy" "{name}" {{
  name = "${{var.name}}-{name}"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect   = "Allow"
      Action   = {json.dumps(actions)}
      Resource = "*"
    }}]
  }})
}}

resource "aws_iam_role_policy_attachment" "{name}" {{
  role       = aws_iam_role.{name}.name
  policy_arn = aws_iam_policy.{name}.arn
}}
"""


def _storage(name: str, rng: random.Random) -> str:
    return f"""resource "aws_s3_bucket" "{name}" {{
  bucket = "${{var.name}}-{name}"
  tags   = var.tags
}}

resource "aws_s3_bucket_versioning" "{name}" {{
  bucket = aws_s3_bucket.{name}.id
  versioning_configuration {{
    status = "{rng.choice(("Enabled", "Suspended"))}"
  }}
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "{name}" {{
  bucket = aws_s3_bucket.{name}.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm = "aws:kms"
    }}
  }}
}}

resource "aws_s3_bucket_public_access_block" "{name}" {{
  bucket                  = aws_s3_bucket.{name}.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}}

resource "aws_s3_bucket_lifecycle_configuration" "{name}" {{
  bucket = aws_s3_bucket.{name}.id
  rule {{
    id     = "expire"
    status = "Enabled"
    expiration {{
      days = var.retention_days
    }}
  }}
}}
"""


def _lambda(name: str, rng: random.Random) -> str:
    return f"""resource "aws_lambda_function" "{name}" {{
  function_name = "${{var.name}}-{name}"
  role          = "arn:aws:iam::123456789012:role/lambda-{name}"
  handler       = "app.handler"
  runtime       = "{rng.choice(("python3.12", "python3.11", "nodejs20.x"))}"
  filename      = "${{path.module}}/build/{name}.zip"
  memory_size   = {rng.choice((128, 256, 512, 1024))}
  timeout       = {rng.randint(3, 300)}

  environment {{
    variables = {{
      STAGE     = "prod"
      LOG_LEVEL = "INFO"
      TABLE     = "${{var.name}}-table"
    }}
  }}

  tags = var.tags
}}

resource "aws_cloudwatch_log_group" "{name}" {{
  name              = "/aws/lambda/${{var.name}}-{name}"
  retention_in_days = var.retention_days
}}
"""


def _database(name: str, rng: random.Random) -> str:
    return f"""resource "aws_db_subnet_group" "{name}" {{
  name       = "${{var.name}}-{name}"
  subnet_ids = ["subnet-0a1b2c3d4e5f60718", "subnet-18070f6e5d4c3b2a1"]
}}

resource "aws_db_parameter_group" "{name}" {{
  name   = "${{var.name}}-{name}"
  family = "postgres16"

  parameter {{
    name  = "log_min_duration_statement"
    value = "{rng.choice((250, 500, 1000))}"
  }}
}}

resource "aws_db_instance" "{name}" {{
  identifier              = "${{var.name}}-{name}"
  engine                  = "postgres"
  engine_version          = "16.3"
  instance_class          = "{rng.choice(("db.t4g.medium", "db.r6g.large"))}"
  allocated_storage       = {rng.choice((20, 50, 100))}
  db_subnet_group_name    = aws_db_subnet_group.{name}.name
  parameter_group_name    = aws_db_parameter_group.{name}.name
  backup_retention_period = 7
  storage_encrypted       = true
  skip_final_snapshot     = false
  tags                    = var.tags
}}
"""


FILLER = {
    "network": _network,
    "iam": _iam,
    "storage": _storage,
    "lambda": _lambda,
    "database": _database,
}


# --- CloudFormation ----------------------------------------------------------------------


def _cloudformation(top: Path, count: int, shape: str, rng: random.Random) -> None:
    holders = _holders(count, shape, rng)
    for index in range(count):
        resources: dict[str, Any] = {}
        for number in range(rng.randint(9, 14)):
            resources.update(CFN_FILLER[rng.choice(KINDS)](number, rng))
        if index in holders:
            resources.update(_cfn_mwaa(rng.choice(VERSIONS)))
        template = {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": "Platform stack managed by the platform team",
            "Parameters": {
                "Stage": {"Type": "String", "Default": "prod", "AllowedValues": STAGES},
                "VpcCidr": {"Type": "String", "Default": "10.30.0.0/16"},
            },
            "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
            "Resources": resources,
        }
        path = top / f"team-{index % 20:02d}" / f"stack-{index:04d}"
        if index % 5 == 4:
            _write(path.with_suffix(".json"), json.dumps(template, indent=2) + "\n")
        else:
            _write(path.with_suffix(".yaml"), "\n".join(_yaml(template, 0)) + "\n")


STAGES = ["dev", "stage", "prod"]
_SHORT = {"Ref", "Fn::Sub", "Fn::GetAtt", "Fn::Select", "Fn::If", "Fn::Equals", "Fn::Cidr",
          "Fn::GetAZs"}  # fmt: skip


def _yaml(value: Any, indent: int) -> list[str]:
    """Block-style YAML with the short-form intrinsics (`!Ref`, `!Sub` …) templates use."""
    pad = "  " * indent
    lines = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item and not _short(item):
                lines += [f"{pad}{key}:", *_yaml(item, indent + 1)]
            else:
                lines.append(f"{pad}{key}: {_flow(item)}")
    else:
        for item in value:
            if isinstance(item, dict) and item and not _short(item):
                first, *rest = _yaml(item, indent + 1)
                lines += [f"{pad}- {first.lstrip()}", *rest]
            else:
                lines.append(f"{pad}- {_flow(item)}")
    return lines


def _short(value: object) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _SHORT


def _flow(value: Any) -> str:
    if _short(value):
        ((function, argument),) = value.items()
        tag = "!" + function.removeprefix("Fn::")
        if function == "Fn::GetAtt":
            return f"{tag} {'.'.join(argument)}"
        return f"{tag} {_flow(argument)}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str) and _PLAIN.fullmatch(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value)


_PLAIN = re.compile(r"[A-Za-z][\w.-]*")  # a string YAML reads as that string when unquoted
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


def _cfn(resource_type: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {"Type": resource_type, "Properties": properties}


def _cfn_network(index: int, rng: random.Random) -> dict[str, Any]:
    resources = {
        f"Vpc{index}": _cfn(
            "AWS::EC2::VPC",
            {"CidrBlock": {"Ref": "VpcCidr"}, "EnableDnsSupport": True, "EnableDnsHostnames": True},
        ),
        f"SecurityGroup{index}": _cfn(
            "AWS::EC2::SecurityGroup",
            {
                "GroupDescription": "Managed by CloudFormation",
                "VpcId": {"Ref": f"Vpc{index}"},
                "SecurityGroupIngress": [
                    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/8"}
                ],
            },
        ),
    }
    for az in range(rng.randint(2, 3)):
        resources[f"Subnet{index}x{az}"] = _cfn(
            "AWS::EC2::Subnet",
            {
                "VpcId": {"Ref": f"Vpc{index}"},
                "CidrBlock": {"Fn::Select": [az, {"Fn::Cidr": [{"Ref": "VpcCidr"}, 4, 8]}]},
                "AvailabilityZone": {"Fn::Select": [az, {"Fn::GetAZs": ""}]},
            },
        )
    return resources


CFN_ACTIONS = ["s3:GetObject", "s3:PutObject", "sqs:SendMessage", "kms:Decrypt", "logs:Put*"]


def _cfn_iam(index: int, rng: random.Random) -> dict[str, Any]:
    return {
        f"Role{index}": _cfn(
            "AWS::IAM::Role",
            {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                "Policies": [
                    {
                        "PolicyName": "access",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": rng.sample(CFN_ACTIONS, 3),
                                    "Resource": "*",
                                }
                            ],
                        },
                    }
                ],
            },
        )
    }


def _cfn_storage(index: int, rng: random.Random) -> dict[str, Any]:
    return {
        f"Bucket{index}": _cfn(
            "AWS::S3::Bucket",
            {
                "BucketName": {"Fn::Sub": f"acme-${{Stage}}-data-{index}"},
                "VersioningConfiguration": {"Status": rng.choice(("Enabled", "Suspended"))},
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
                    ]
                },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
            },
        )
    }


def _cfn_lambda(index: int, rng: random.Random) -> dict[str, Any]:
    return {
        f"Function{index}": _cfn(
            "AWS::Lambda::Function",
            {
                "FunctionName": {"Fn::Sub": f"${{Stage}}-function-{index}"},
                "Runtime": rng.choice(("python3.12", "nodejs20.x")),
                "Handler": "app.handler",
                "Role": "arn:aws:iam::123456789012:role/lambda",
                "Code": {"S3Bucket": "acme-artifacts", "S3Key": f"function-{index}.zip"},
                "MemorySize": rng.choice((128, 256, 512)),
                "Timeout": rng.randint(3, 300),
                "Environment": {"Variables": {"STAGE": {"Ref": "Stage"}, "LOG_LEVEL": "INFO"}},
            },
        )
    }


def _cfn_database(index: int, rng: random.Random) -> dict[str, Any]:
    return {
        f"Database{index}": _cfn(
            "AWS::RDS::DBInstance",
            {
                "Engine": "postgres",
                "EngineVersion": "16.3",
                "DBInstanceClass": {"Fn::If": ["IsProd", "db.r6g.large", "db.t4g.medium"]},
                "AllocatedStorage": str(rng.choice((20, 50, 100))),
                "StorageEncrypted": True,
                "BackupRetentionPeriod": 7,
                "MasterUsername": "admin",
                "ManageMasterUserPassword": True,
            },
        )
    }


CFN_FILLER = {
    "network": _cfn_network,
    "iam": _cfn_iam,
    "storage": _cfn_storage,
    "lambda": _cfn_lambda,
    "database": _cfn_database,
}


def _cfn_mwaa(version: str) -> dict[str, Any]:
    return {
        "AirflowSource": _cfn(
            "AWS::S3::Bucket",
            {
                "BucketName": {"Fn::Sub": "acme-${Stage}-airflow-dags"},
                "VersioningConfiguration": {"Status": "Enabled"},
            },
        ),
        "Airflow": _cfn(
            "AWS::MWAA::Environment",
            {
                "Name": {"Fn::Sub": "${Stage}-airflow"},
                "AirflowVersion": version,
                "SourceBucketArn": {"Fn::GetAtt": ["AirflowSource", "Arn"]},
                "DagS3Path": "dags",
                "ExecutionRoleArn": "arn:aws:iam::123456789012:role/mwaa-execution",
                "NetworkConfiguration": {
                    "SubnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
                    "SecurityGroupIds": ["sg-0a1b2c3d4e5f60001"],
                },
            },
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=SIZES, required=True)
    parser.add_argument("--shape", choices=SHAPES, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument(
        "--shared-module",
        action="store_true",
        help="every MWAA root also calls modules/shared-tags (off: the trees as before)",
    )
    args = parser.parse_args()
    generate(args.size, args.shape, args.out, args.seed, args.shared_module)


if __name__ == "__main__":
    main()
