"""Look at the PR comment as a reviewer does: build a few pull requests (Terraform trees), run
`iacplan check --format markdown` on each with GitHub Actions' variables set (so the links are
drawn), render the Markdown as GitHub-flavoured HTML and, with --screenshot, take a headless
Chromium screenshot of each page.

    python benchmarks/comment_preview.py OUT_DIR [--css github-markdown.css] [--screenshot] [--open]

Needs markdown-it-py and mdit-py-plugins (the test extra); the CSS is the npm package
github-markdown-css (`npm install github-markdown-css`); the screenshot needs Debian's
chromium. Not run in CI: it is for people to look at."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# name, (base version, head version, extra HCL) for each environment of a scenario.
Env = tuple[str, str, str, str]

BUCKET = """
resource "aws_s3_bucket" "{name}" {{
  bucket = "acme-{name}"
}}
resource "aws_s3_bucket_versioning" "{name}" {{
  bucket = aws_s3_bucket.{name}.id
  versioning_configuration {{
    status = "{status}"
  }}
}}
"""


def _block(name: str, version: str, status: str) -> str:
    return (
        BUCKET.format(name=name, status=status)
        + f'resource "aws_mwaa_environment" "{name.replace("-", "_")}" {{\n'
        f'  name              = "{name}"\n'
        f"  airflow_version   = {version}\n"
        f"  source_bucket_arn = aws_s3_bucket.{name}.arn\n"
        "}\n"
    )


def scenario(kind: str) -> list[tuple[str, str, str, str]]:
    """(name, base version expr, head version expr, bucket versioning status)."""
    if kind == "allowed":
        return [("analytics-prod", '"2.10.3"', '"2.11.0"', "Enabled")]
    if kind == "downgrade":
        return [("marketing-prod", '"2.10.3"', '"2.9.2"', "Enabled")]
    count = 30 if kind == "mixed-30" else 300
    envs = []
    stages = ["dev", "staging", "prod"]
    for i in range(count):
        stage = stages[i % 3]
        name = f"team{i:03}-{stage}"
        envs.append((name, '"2.10.3"', '"2.11.0"', "Enabled"))
    # The problems of a real PR: two rejected, two unverified, one allowed with a warning,
    # a few unchanged.
    envs[16] = ("marketing-prod", '"2.10.3"', '"2.9.2"', "Enabled")
    envs[25] = ("risk-prod", '"2.10.3"', '"3.0.6"', "Enabled")
    envs[5] = ("growth-prod", '"2.10.3"', "var.growth_version", "Enabled")
    envs[8] = ("search-prod", '"2.10.3"', "var.search_version", "Enabled")
    envs[3] = ("billing-dev", '"2.10.3"', '"2.11.0"', "Suspended")
    for i in (10, 11, 12, 20):
        name = envs[i][0]
        envs[i] = (name, '"2.10.3"', '"2.10.3"', "Enabled")
    if count > 30:
        for i in range(40, count, 23):
            envs[i] = (envs[i][0], '"2.10.3"', '"2.9.2"', "Enabled")
        for i in range(50, count, 37):
            envs[i] = (envs[i][0], '"2.8.1"', '"2.11.0"', "Enabled")
    return envs


def write(root: Path, envs: list[tuple[str, str, str, str]]) -> tuple[Path, Path]:
    base, head = root / "base", root / "head"
    for side, index in ((base, 1), (head, 2)):
        side.mkdir(parents=True)
        text = "".join(
            _block(name, env[index], status) for env in envs for name, *_, status in [env]
        )
        variables = {v.split(".")[1] for env in envs for v in (env[index],) if v.startswith("var.")}
        text += "".join(f'variable "{v}" {{\n  type = string\n}}\n' for v in sorted(variables))
        (side / "main.tf").write_text(text, encoding="utf-8")
    return base, head


def markdown_of(kind: str, work: Path) -> str:
    root = work / kind
    write(root, scenario(kind))
    env = {
        **os.environ,
        "IACPLAN_TODAY": "2026-11-24",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/airflow-infra",
        "GITHUB_SHA": "4f2c9e1d0b7a65c3e8f1a2b3c4d5e6f708192a3b",
        "GITHUB_RUN_ID": "12345678901",
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "iacplan",
            "check",
            "--base",
            "base",
            "head",
            "--format",
            "markdown",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode not in (0, 1):
        raise SystemExit(run.stderr)
    return run.stdout


def html_of(markdown: str, css: str) -> str:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.tasklists import tasklists_plugin

    md = MarkdownIt("gfm-like", {"linkify": False}).use(tasklists_plugin)
    body = md.render(markdown)
    return (
        "<!doctype html><html><head><meta charset='utf-8'><style>"
        f"{css}\nbody{{margin:0;background:#fff}}.markdown-body{{box-sizing:border-box;"
        "max-width:780px;padding:16px;border:1px solid #d0d7de;border-radius:6px;"
        "margin:16px}</style></head>"
        f"<body><article class='markdown-body'>{body}</article></body></html>"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--css", type=Path)
    parser.add_argument("--screenshot", action="store_true")
    parser.add_argument("--height", type=int, default=2000)
    parser.add_argument("--open", action="store_true", help="draw every <details> opened")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    css = args.css.read_text(encoding="utf-8") if args.css else ""
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("allowed", "downgrade", "mixed-30", "mixed-300"):
            markdown = markdown_of(kind, Path(tmp))
            (args.out / f"{kind}.md").write_text(markdown, encoding="utf-8")
            page = args.out / f"{kind}.html"
            shown = markdown.replace("<details>", "<details open>") if args.open else markdown
            page.write_text(html_of(shown, css), encoding="utf-8")
            print(f"{kind}: {len(markdown)} characters, {markdown.count(chr(10))} lines")
            if args.screenshot:
                profile = tempfile.mkdtemp()
                subprocess.run(
                    [
                        shutil.which("chromium") or "chromium",
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--no-first-run",
                        f"--user-data-dir={profile}",
                        f"--screenshot={args.out / (kind + '.png')}",
                        f"--window-size=820,{args.height}",
                        page.as_uri(),
                    ],
                    check=True,
                    capture_output=True,
                )
                shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
