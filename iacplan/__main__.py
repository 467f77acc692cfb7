"""The `iacplan` command, and `python -m iacplan`."""

from __future__ import annotations

import sys


def main() -> None:
    if "check" in sys.argv[1:]:
        # The child that will evaluate Terraform starts now, while the CLI is imported (see
        # iacplan.runtime.forked). A run that needs none leaves it waiting until the end; a word
        # "check" elsewhere on the command line costs no more than that.
        from iacplan.runtime import forked

        forked.prepare(
            "tfparse", "iacplan.inputs.terraform.hcl", "iacplan.inputs.terraform.overrides"
        )
    from iacplan.cli import main as cli

    cli()


if __name__ == "__main__":
    main()
