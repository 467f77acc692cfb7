"""Time `iacplan check` on a generated Terragrunt live tree: units over shared modules.

No linter we compare with reads Terragrunt, so there is no peer here: the figures are the time
per unit and the peak memory, with a plain Terraform tree of the same environments beside it
(the same modules, one root per environment) to show what the Terragrunt layer costs.

    python benchmarks/terragrunt.py --units 300 --runs 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import measure

ENVIRONMENTS = ("dev", "staging", "prod", "perf", "sandbox")
REGIONS = ("eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-southeast-2")
COMPONENTS = ("mwaa", "vpc", "buckets", "iam", "alarms", "queues")
VERSIONS = ("2.9.2", "2.10.3", "2.11.0")

MWAA_MODULE = """\
variable "environment" {
  type = string
}
variable "region" {
  type = string
}
variable "airflow_version" {
  type    = string
  default = "2.10.3"
}
variable "max_workers" {
  type    = number
  default = 10
}
variable "subnet_ids" {
  type    = list(string)
  default = []
}
resource "aws_s3_bucket" "dags" {
  bucket = "airflow-${var.environment}-${var.region}"
}
resource "aws_s3_bucket_versioning" "dags" {
  bucket = aws_s3_bucket.dags.id
  versioning_configuration {
    status = "Enabled"
  }
}
resource "aws_mwaa_environment" "this" {
  name               = "airflow-${var.environment}-${var.region}"
  airflow_version    = var.airflow_version
  source_bucket_arn  = aws_s3_bucket.dags.arn
  dag_s3_path        = "dags/"
  max_workers        = var.max_workers
  execution_role_arn = "arn:aws:iam::123456789012:role/mwaa-${var.environment}"
  network_configuration {
    security_group_ids = ["sg-0123456789abcdef0"]
    subnet_ids         = var.subnet_ids
  }
}
"""
OTHER_MODULE = """\
variable "environment" {
  type = string
}
variable "region" {
  type = string
}
resource "aws_sqs_queue" "this" {
  name = "%s-${var.environment}-${var.region}"
}
"""
ROOT_HCL = """\
locals {
  env    = read_terragrunt_config(find_in_parent_folders("env.hcl"))
  region = read_terragrunt_config(find_in_parent_folders("region.hcl"))
}
remote_state {
  backend = "s3"
  config = {
    bucket = "tfstate-${local.env.locals.environment}"
    key    = "${path_relative_to_include()}/terraform.tfstate"
    region = local.region.locals.aws_region
  }
}
inputs = merge(local.env.locals, { region = local.region.locals.aws_region })
"""
UNIT = """\
include "root" {
  path   = find_in_parent_folders("root.hcl")
  expose = true
}
terraform {
  source = "${get_repo_root()}/modules//%s"
}
%s
inputs = {
  %s
}
"""


def generate(out: Path, units: int) -> tuple[Path, Path]:
    """A live tree of about `units` units and the same environments as plain roots."""
    if out.exists():
        shutil.rmtree(out)
    live, plain = out / "terragrunt", out / "terraform"
    _write(live / "modules/mwaa/main.tf", MWAA_MODULE)
    _write(plain / "modules/mwaa/main.tf", MWAA_MODULE)
    for component in COMPONENTS[1:]:
        _write(live / f"modules/{component}/main.tf", OTHER_MODULE % component)
    _write(live / "live/root.hcl", ROOT_HCL)
    for number in range(units):
        env = ENVIRONMENTS[number % len(ENVIRONMENTS)]
        region = REGIONS[(number // len(ENVIRONMENTS)) % len(REGIONS)]
        group = number // (len(ENVIRONMENTS) * len(REGIONS))
        component = COMPONENTS[number % len(COMPONENTS)]
        version = VERSIONS[number % len(VERSIONS)]
        account = f"account-{group}"
        base = live / "live" / account / env
        _write(
            base / "env.hcl",
            f'locals {{\n  environment = "{env}"\n  airflow_version = "{version}"\n}}\n',
        )
        _write(base / region / "region.hcl", f'locals {{\n  aws_region = "{region}"\n}}\n')
        unit = base / region / component / "terragrunt.hcl"
        if component == "mwaa":
            dependency = 'dependency "vpc" {\n  config_path = "../vpc"\n}'
            inputs = "subnet_ids = dependency.vpc.outputs.private_subnet_ids\n  max_workers = 5"
            _write(
                plain / account / env / region / "main.tf",
                f'module "mwaa" {{\n  source = "../../../modules/mwaa"\n'
                f'  environment = "{env}"\n  region = "{region}"\n'
                f'  airflow_version = "{version}"\n}}\n'
                'provider "aws" {\n  region = "eu-west-1"\n}\n',
            )
        else:
            dependency, inputs = "", f'name = "{component}"'
        _write(unit, UNIT % (component, dependency, inputs))
    # The repository root that get_repo_root() names.
    subprocess.run(["git", "init", "-q", str(live)], check=True)
    return live, plain


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("/tmp/iacplan-bench/terragrunt"))
    parser.add_argument("--iacplan", default=shutil.which("iacplan") or "iacplan")
    args = parser.parse_args()
    live, plain = generate(args.out, args.units)
    mwaa_units = len(list(live.glob("live/**/mwaa/terragrunt.hcl")))
    print(f"{args.units} units ({mwaa_units} MWAA) in {live}; the same MWAA roots in {plain}")
    for name, tree in (("terragrunt", live / "live"), ("terraform", plain)):
        seconds, peaks = [], []
        for _ in range(args.runs):
            load = os.getloadavg()[0]
            wall, peak, _ = measure([args.iacplan, "check", str(tree), "--format", "json"])
            seconds.append(wall)
            peaks.append(peak)
        median = statistics.median(seconds)
        per = median / (args.units if name == "terragrunt" else mwaa_units) * 1000
        print(
            f"{name:10} median {median:6.2f} s over {args.runs} runs "
            f"({per:5.1f} ms per {'unit' if name == 'terragrunt' else 'root'}), "
            f"peak {max(peaks):5.0f} MB, load {load:.1f}"
        )


if __name__ == "__main__":
    main()
