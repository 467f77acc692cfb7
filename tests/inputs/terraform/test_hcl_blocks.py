"""Module blocks cut out of HCL parse to what the whole file gives."""

from __future__ import annotations

from typing import Any

import hcl2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import REPO
from iacplan.inputs.terraform.hcl_blocks import module_blocks

OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False)
TRICKY = """\
# module "commented" { source = "./no" }
// module "also" {
/* module "block comment" {
   source = "./no" } */
locals {
  doc = <<-EOT
    module "in a heredoc" {
      source = "./no"
    }
  EOT
  brace = "a } in a string, ${var.x == "}" ? "{" : "}"} and $${literal} %%{literal}"
  nested = { a = { b = "module" } }
}
module "first" {
  source = "./first"
  map    = { key = "${var.a}-{x}" }
  text   = <<EOT
}
EOT
}

resource "x" "y" {
  module = "not a block"
}
  module "second" {
  source = "../second" # a comment with a } brace
  count  = 2
}
/* the data platform */ module "third" {
  source = "./third"
}
"""


def _modules(text: str) -> Any:
    return hcl2.loads(text, serialization_options=OPTIONS).get("module")


def test_only_top_level_module_blocks_are_cut_out() -> None:
    cut = module_blocks(TRICKY)
    assert cut is not None
    assert _modules(cut) == _modules(TRICKY)
    assert [next(iter(m)) for m in _modules(cut)] == ["first", "second", "third"]
    assert "heredoc" not in cut and "commented" not in cut and "resource" not in cut


@pytest.mark.parametrize(
    "text",
    ['module "m" {\n  source = "./m\n}\n', 'module "m" {\n  x = <<EOT\n}\n', "}\n", "a = {\n"],
)
def test_text_it_cannot_follow_is_left_to_the_parser(text: str) -> None:
    assert module_blocks(text) is None


SAMPLE_TEXTS = sorted(
    p.read_text()
    for p in (REPO / "samples" / "terraform").rglob("*.tf")
    if "module" in p.read_text()
)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([TRICKY, *SAMPLE_TEXTS]), st.data())
def test_a_cut_that_parses_says_what_the_whole_file_says(text: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, len(text)))
    insert = data.draw(
        st.sampled_from(['"', "{", "}", "#", "/*", "*/", "<<EOT\n", "\nEOT\n", "${", "/* c */ "])
    )
    mutated = text[:i] + insert + text[j:]
    cut = module_blocks(mutated)
    try:
        whole = _modules(mutated)
    except Exception:  # not HCL at all: the caller reports the whole file's error
        return
    if cut is None:
        return
    try:
        from_cut = _modules(cut)
    except Exception:  # the cut does not parse: the caller parses the whole file
        return
    assert from_cut == whole
