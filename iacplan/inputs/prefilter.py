"""A cheap look at the text before anything is parsed: which files may define an MWAA
environment. Parsing and evaluating a monorepo costs seconds to minutes, reading it costs
milliseconds; only what may hold an environment (and what it depends on) is evaluated.

The tests are supersets, never guesses: a file passes when it names the resource types,
anything an MWAA module call is recognised by (`mwaa` or `airflow` in a source or argument
name), or holds an escape sequence that could spell one of them in another way.
"""

from __future__ import annotations

import re

# aws_mwaa_environment, awscc_mwaa_environment, the known MWAA modules (aws-ia, cloudposse,
# idealo: all contain "mwaa"), remote calls that look like MWAA (terraform_modules.py), and
# \u, \U (HCL, JSON) or \/ (JSON) escapes, which could spell any of them.
_TERRAFORM = re.compile(r"mwaa|airflow|\\[uU/]", re.IGNORECASE)
# The environment, and what iacplan reports as an unknown environment: nested stacks, SAM
# applications and modules; YAML and JSON escapes (\x, \u, \U, \N, \/, a line continuation
# over any line break YAML knows: LF, CR, CRLF, NEL, LS, PS).
_CLOUDFORMATION = re.compile(
    r"AWS::MWAA::Environment|AWS::CloudFormation::Stack|AWS::Serverless::Application"
    r"|::MODULE\b|\\[xuUN/]|\\[\r\n\x85\u2028\u2029]"
)
# Every string that starts like a local module source: a superset of the `source` arguments
# of local module calls (which must be literal strings), confirmed later by the parser.
_LOCAL_SOURCE = re.compile(r'"(\.\.?/[^"\n]*)"')
_TEMPLATE = re.compile(r'^["\']?Resources["\']?\s*:|"Resources"\s*:', re.MULTILINE)


# A `removed` block (Terraform 1.7) may take out a module that held an environment.
_REMOVED = re.compile(r'^\s*removed\s*\{|"removed"\s*:', re.MULTILINE)


def terraform_may_hold(text: str) -> bool:
    if _TERRAFORM.search(text) is not None:
        return True
    return "removed" in text and _REMOVED.search(text) is not None


def cloudformation_may_hold(text: str) -> bool:
    return _CLOUDFORMATION.search(text) is not None


def looks_like_template(text: str) -> bool:
    """Whether the text has a Resources section (templates, unlike parameter files, do)."""
    return _TEMPLATE.search(text) is not None


def local_sources(text: str) -> list[str]:
    return _LOCAL_SOURCE.findall(text)
