"""What a reviewer sees first: the PR comment parsed as GitHub-flavoured Markdown (markdown-it-py
with tables; `<details>` is HTML), the CI log as text, the annotations. Structure is asserted,
not bytes: order, what sits outside `<details>`, links, grouping, the size limit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from conftest import TreeMaker
from helpers import Run, iacplan, mwaa
from iacplan.render import markdown

SHA = "4f2c9e1d0b7a65c3e8f1a2b3c4d5e6f708192a3b"
BLOB = f"https://github.com/acme/infra/blob/{SHA}/"
RUN = "https://github.com/acme/infra/actions/runs/777"
CI_VARIABLES = (
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_SHA",
    "GITHUB_RUN_ID",
    "GITHUB_ACTIONS",
    "CI_PROJECT_URL",
    "CI_COMMIT_SHA",
    "CI_JOB_URL",
    "NO_COLOR",
    "FORCE_COLOR",
    "CLICOLOR_FORCE",
)


@pytest.fixture(autouse=True)
def outside_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    for name in CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IACPLAN_TODAY", "2026-11-24")


def github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """GitHub Actions' variables; the trees are under the current directory (the repository
    root here: tmp_path is no git repository)."""
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/infra")
    monkeypatch.setenv("GITHUB_SHA", SHA)
    monkeypatch.setenv("GITHUB_RUN_ID", "777")


def mixed(tree: TreeMaker, count: int = 30) -> tuple[Path, Path]:
    """A PR over `count` environments: 2 rejected (a downgrade, a major jump), 2 unverified,
    4 unchanged, the rest one allowed minor upgrade; names end in their stage."""
    base, head = [], []
    for i in range(count):
        stage = ("dev", "staging", "prod")[i % 3]
        name = f"team{i:03}-{stage}"
        new = '"2.11.0"'
        if i == 16:
            name, new = "marketing-prod", '"2.9.2"'
        elif i == 25:
            name, new = "risk-prod", '"3.0.6"'
        elif i in (5, 8):
            name, new = ("growth-prod" if i == 5 else "search-prod"), "var.unknown_version"
        elif i in (10, 11, 12, 20):
            new = '"2.10.3"'
        elif count > 30 and i % 23 == 17:
            new = '"2.9.2"'
        base.append(environment(name, '"2.10.3"'))
        head.append(environment(name, new))
    variable = 'variable "unknown_version" {\n  type = string\n}\n'
    return (
        tree({"main.tf": "".join(base)}, "base"),
        tree({"main.tf": "".join(head) + variable}, "head"),
    )  # fmt: skip


def environment(name: str, version: str) -> str:
    """An environment with a versioned source bucket (no bucket warning to blur the list)."""
    key = name.replace("-", "_")
    return (
        f'resource "aws_s3_bucket" "{key}" {{\n  bucket = "acme-{name}"\n}}\n'
        f'resource "aws_s3_bucket_versioning" "{key}" {{\n  bucket = aws_s3_bucket.{key}.id\n'
        '  versioning_configuration {\n    status = "Enabled"\n  }\n}\n'
        f'resource "aws_mwaa_environment" "{key}" {{\n  name = "{name}"\n'
        f"  airflow_version = {version}\n  source_bucket_arn = aws_s3_bucket.{key}.arn\n}}\n"
    )


def check(base: Path, head: Path, *args: str) -> Run:
    return iacplan("check", "--base", base, head, *args)


def parse(text: str) -> list[Token]:
    return MarkdownIt("commonmark").enable("table").parse(text)


def outside_details(tokens: list[Token]) -> list[Token]:
    """The tokens a reader sees before opening anything."""
    out, depth = [], 0
    for token in tokens:
        if token.type == "html_block":
            depth += token.content.count("<details") - token.content.count("</details>")
            continue
        if depth == 0:
            out.append(token)
    return out


def list_items(tokens: list[Token]) -> list[str]:
    """The inline text of each item of the first bullet list."""
    items, inside = [], False
    for token in tokens:
        if token.type == "bullet_list_open":
            inside = True
        elif token.type == "bullet_list_close":
            return items
        elif inside and token.type == "inline":
            items.append(token.content)
    return items


def table_rows(tokens: list[Token]) -> list[list[str]]:
    rows: list[list[str]] = []
    for token in tokens:
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows and token.map is None:
            rows[-1].append(token.content)
    return rows


def cells(tokens: list[Token]) -> list[list[str]]:
    rows, row, in_table = [], None, False
    for token in tokens:
        if token.type == "table_open":
            in_table = True
        elif token.type == "table_close":
            break
        elif in_table and token.type == "tr_open":
            row = []
        elif in_table and token.type == "tr_close" and row is not None:
            rows.append(row)
        elif in_table and token.type == "inline" and row is not None:
            row.append(token.content)
    return rows


def links(tokens: list[Token]) -> list[str]:
    return [
        str(child.attrs["href"])
        for token in tokens
        if token.type == "inline"
        for child in token.children or []
        if child.type == "link_open"
    ]


def test_the_first_screen_says_what_blocks_why_and_the_fix(
    tree: TreeMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    github_actions(monkeypatch)
    run = check(*mixed(tree), "--format", "markdown")
    assert run.exit_code == 1
    tokens = parse(run.stdout)
    assert tokens[0].type == "heading_open" and tokens[0].tag == "h2"
    assert tokens[1].content == (
        "❌ iacplan blocks this change — 2 rejected, 2 unverified of 30 environments"
    )
    seen = outside_details(tokens)
    items = list_items(seen)
    # One line per environment that needs attention, most severe first, before any table.
    assert [re.match(r"\S+ \*\*([\w-]+)\*\*", i)[1] for i in items] == [  # type: ignore[index]
        "marketing-prod",
        "risk-prod",
        "growth-prod",
        "search-prod",
    ]
    assert "**MWAA001** downgrade: 2.10.3 → 2.9.2. **Fix:** keep 2.10.3" in items[0]
    assert "**MWAA002**" in items[1] and "**Fix:** upgrade to 2.11.2 first" in items[1]
    assert "**MWAA008** version unresolved" in items[2]
    # Each links to the file line at the commit, from the repository root.
    for item in items:
        assert re.search(r"\]\(https://github\.com/acme/infra/blob/" + SHA + r"/\S+#L\d+\)", item)
    first_table = next(i for i, t in enumerate(seen) if t.type == "table_open")
    first_list = next(i for i, t in enumerate(seen) if t.type == "bullet_list_open")
    assert first_list < first_table
    assert RUN in links(tokens)  # the CI run, in the footer


def test_the_table_puts_problems_first_and_groups_quiet_environments(
    tree: TreeMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    github_actions(monkeypatch)
    tokens = parse(check(*mixed(tree), "--format", "markdown").stdout)
    rows = cells(outside_details(tokens))
    assert rows[0] == ["Environment", "Change", "Findings"]
    icons = [row[1].split("\N{NO-BREAK SPACE}")[0] for row in rows[1:]]
    assert icons[:4] == ["❌", "❌", "⚠️", "⚠️"]
    assert rows[1][0].startswith(f"[marketing-prod]({BLOB}head/main.tf#L")  # to its line
    assert rows[-2][0].startswith("22 allowed: team000-dev, team001-staging, team002-prod")
    nbsp = "\N{NO-BREAK SPACE}"
    assert rows[-2][1] == f"✅{nbsp}2.10.3{nbsp}→{nbsp}2.11.0{nbsp}(upgrade)"
    assert rows[-1][1] == f"\N{HEAVY MINUS SIGN}{nbsp}2.10.3{nbsp}(unchanged)"
    assert len(rows) == 1 + 4 + 2
    # "enabled" no longer on every row; "unchanged" is not shown as paused.
    assert "⏸" not in str(rows) and "enabled" not in str(rows)


def test_identical_plans_are_shown_once_and_a_rejected_one_shows_the_way(
    tree: TreeMaker,
) -> None:
    out = check(*mixed(tree), "--format", "markdown").stdout
    summaries = re.findall(r"<summary>(.*?)</summary>", out)
    assert (
        summaries[0].startswith("❌ <b>marketing-prod</b>") and "the way that works" in summaries[0]
    )
    assert summaries[1].startswith("❌ <b>risk-prod</b>")
    assert sum("22 environments" in s for s in summaries) == 1
    assert out.count("#### Path") == 1  # the one allowed plan, once for all 22
    blocks = out.split("<details>")
    rejected = [b for b in blocks if "— rejected" in b.split("</summary>")[0]]
    assert len(rejected) == 2
    for block in rejected:
        body = block.split("</details>")[0]
        assert "#### The way that works" in body
        for noise in ("Downtime", "Pre-flight checklist", "Schedule a window", "Release notes"):
            assert noise not in body
    assert "Keep 2.10.3: set the Airflow version back to 2.10.3" in rejected[0]
    assert "Recommended: **In place through 2.11.2**" in rejected[1]


def test_the_rollout_has_one_line_per_stage_marking_what_is_held_back(tree: TreeMaker) -> None:
    tokens = parse(check(*mixed(tree), "--format", "markdown").stdout)
    ordered = []
    inside = False
    for token in outside_details(tokens):
        if token.type == "ordered_list_open":
            inside = True
        elif token.type == "ordered_list_close":
            break
        elif inside and token.type == "inline":
            ordered.append(token.content)
    assert [line.split(":")[0] for line in ordered] == ["**dev**", "**staging**", "**prod**"]
    prod = ordered[2]
    for held in ("marketing-prod (rejected)", "risk-prod (rejected)", "growth-prod (unverified)"):
        assert held in prod
    assert "✅ 9 allowed" in ordered[0]


def test_gitlab_links_and_none_outside_ci(tree: TreeMaker, monkeypatch: pytest.MonkeyPatch) -> None:
    base, head = mixed(tree)
    plain = links(parse(check(base, head, "--format", "markdown").stdout))
    assert not [link for link in plain if "/blob/" in link or "/-/" in link]
    monkeypatch.setenv("CI_PROJECT_URL", "https://gitlab.example/acme/infra")
    monkeypatch.setenv("CI_COMMIT_SHA", SHA)
    monkeypatch.setenv("CI_JOB_URL", "https://gitlab.example/acme/infra/-/jobs/9")
    found = links(parse(check(base, head, "--format", "markdown").stdout))
    assert any(
        re.fullmatch(rf"https://gitlab\.example/acme/infra/-/blob/{SHA}/.+#L\d+", x) for x in found
    )
    assert "https://gitlab.example/acme/infra/-/jobs/9" in found


def test_300_environments_stay_under_the_limit_with_every_problem_whole(
    tree: TreeMaker,
) -> None:
    out = check(*mixed(tree, 300), "--format", "markdown").stdout
    assert len(out) < markdown.LIMIT
    tokens = parse(out)
    assert tokens[1].content.startswith("❌ iacplan blocks this change — 15 rejected, 2 unverified")
    items = list_items(outside_details(tokens))
    # The attention list is never cut: the 14 identical downgrades share one line that
    # names each; the others have their own.
    assert len(items) == 4
    assert items[0].startswith("❌ 14 rejected — **MWAA001** downgrade: 2.10.3 → 2.9.2.")
    assert items[0].count(", ") == 13 and "marketing-prod" in items[0]
    assert out.count("<details>") == out.count("</details>")
    assert out.count("```") % 2 == 0
    for block in out.split("<details>")[1:]:
        summary, body = block.split("</summary>", 1)
        if "rejected" in summary or "⚠️" in summary:
            assert "left out to fit" not in body.split("</details>")[0]


def test_a_passing_run_never_says_fail(tree: TreeMaker) -> None:
    base = tree({"main.tf": mwaa('"2.10.3"', "a") + mwaa('"2.10.3"', "b")}, "base")
    head = tree({"main.tf": mwaa('"2.11.0"', "a") + mwaa('"2.10.3"', "b")}, "head")
    for format_name in ("markdown", "text"):
        for extra in ((), ("--verbose",)):
            run = check(base, head, "--format", format_name, *extra)
            assert run.exit_code == 0
            assert "fail" not in run.stdout.lower(), format_name
    md = check(base, head, "--format", "markdown").stdout
    assert md.startswith("## ✅ iacplan allows this change — 1 allowed, 1 unchanged\n")


def test_text_puts_problems_first_and_the_verdict_last(tree: TreeMaker) -> None:
    run = check(*mixed(tree))
    lines = run.stdout.splitlines()
    assert lines[0].startswith("iacplan: REJECTED — 2 rejected, 2 unverified of 30 environments")
    assert lines[-1] == (
        "iacplan: REJECTED — marketing-prod (MWAA001), risk-prod (MWAA002, MWAA007); "
        "unverified: growth-prod, search-prod"
    )
    attention = lines.index("Needs attention:")
    quiet = lines.index("Allowed and unchanged:")
    assert attention < quiet
    assert lines[attention + 1].startswith("  REJECTED  marketing-prod  2.10.3 → 2.9.2")
    # One line per allowed or unchanged environment; no plan without --verbose.
    assert sum(line.startswith(("  allowed ", "  unchanged ")) for line in lines) == 26
    assert "Pre-flight checklist:" not in run.stdout and "`" not in run.stdout
    verbose = check(*mixed(tree), "--verbose").stdout
    assert verbose.count("Pre-flight checklist:") == 22 and "`" not in verbose


def test_text_under_github_actions_folds_plans_and_puts_urls_alone(
    tree: TreeMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    github_actions(monkeypatch)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    out = check(*mixed(tree), "--verbose").stdout
    assert out.count("::group::plan for ") == out.count("::endgroup::") == 22
    for line in out.splitlines():
        if "https://" in line:  # a URL alone, or a requirements.txt line to copy whole
            assert line.strip().startswith(("https://", '--constraint "https://', '"https://')), (
                line
            )
    assert f"CI run:\n  {RUN}\n" in out


@pytest.mark.parametrize(
    ("option", "variables", "coloured"),
    [
        ("auto", {}, False),
        ("auto", {"FORCE_COLOR": "1"}, True),
        ("auto", {"CLICOLOR_FORCE": "1"}, True),
        ("auto", {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        ("always", {"NO_COLOR": "1"}, True),
        ("never", {"FORCE_COLOR": "1"}, False),
    ],
)
def test_colour_follows_the_option_and_the_variables(
    tree: TreeMaker,
    monkeypatch: pytest.MonkeyPatch,
    option: str,
    variables: dict[str, str],
    coloured: bool,
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    base = tree({"main.tf": mwaa('"2.10.3"')}, "base")
    head = tree({"main.tf": mwaa('"2.9.2"')}, "head")
    out = check(base, head, "--color", option).stdout
    assert ("\x1b[31m" in out) is coloured
    assert "\x1b[" not in check(base, head, "--color", option, "--format", "json").stdout


def test_annotations_have_titles_errors_first_and_say_what_was_not_shown(
    tree: TreeMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    github_actions(monkeypatch)
    lines = check(*mixed(tree, 300), "--format", "github").stdout.splitlines()
    kinds = [line.split(" ", 1)[0] for line in lines]
    assert kinds == ["::error"] * 10 + ["::warning"] * 2 + ["::notice"]
    assert "title=MWAA001 downgrade rejected (marketing-prod)::" in lines[0]
    assert "title=MWAA008 version unresolved (growth-prod)::" in lines[10]
    assert lines[-1].startswith("::notice title=iacplan%3A ")
    assert "more error annotation(s) not shown" in lines[-1] and RUN in lines[-1]
