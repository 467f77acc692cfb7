"""The one error type the CLI turns into a one-line message and an exit code (2, or the
error's own)."""

from __future__ import annotations


class InputError(Exception):
    """Bad input: an unreadable or unparsable file, a bad option, an invalid config.

    The message names the file (and line, where known) and is shown to the user as is.
    """

    exit_code = 2


class NoDefinitions(InputError):
    """A directory holds no Terraform files or CloudFormation templates: an error for a path the
    user names, but only "nothing there yet" for the same path at a git revision."""
