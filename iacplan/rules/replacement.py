"""MWAA007: replacing or destroying an environment loses its metadata database and history."""

from __future__ import annotations

from collections.abc import Iterator

from packaging.version import Version

from iacplan.catalog.terraform_versions import (
    Constraint,
    ConstraintError,
    Release,
    parse_release,
    show,
)
from iacplan.model import Change, ChangeKind, Environment, ProviderVersions, Severity
from iacplan.rules.base import Context, Hit, Rule, versions

# terraform-provider-aws 5.2.0 (CHANGELOG NOTES, #31833) added a CustomizeDiff ForceNewIf on
# airflow_version: a plan replaces the environment when the major version goes up, even where
# MWAA itself upgrades in place (2.11.x → 3.x). Still so in the newest provider source read.
FORCE_NEW_SINCE: Release = (5, 2, 0)


def _replaced(change: Change, context: Context) -> Iterator[Hit]:
    if change.kind is ChangeKind.REPLACED:
        pair = versions(change)
        keep = ""
        if change.head is not None and pair is not None and pair[0].major < pair[1].major:
            keep = " " + _how_to_keep(change.head, *pair, context)
        yield Hit(
            f"the environment would be replaced ({change.reason}): the new one starts with an "
            f"empty metadata database, so every run's history is lost.{keep}",
            change.subject.location,
        )
    elif change.kind is ChangeKind.REMOVED and change.reason is not None:
        yield Hit(
            f"the environment would be destroyed ({change.reason}) with its metadata database "
            "and run history",
            change.subject.location,
        )
    elif change.kind is ChangeKind.REMOVED:
        yield Hit(
            "the environment is in the base but not in head: applying destroys it with its "
            "metadata database and run history (if it only moved to another root or state, "
            "suppress this finding with a reason)",
            change.subject.location,
        )
    elif change.replacement_doubt is not None:
        yield Hit(
            f"the environment may be replaced: {change.replacement_doubt}, with an empty "
            "metadata database (every run's history lost); make the name evaluable (write it "
            "out, or give the parameter or variable a value) to verify that it stays the same",
            change.head.name.location if change.head else None,
            severity=Severity.WARNING,
        )
        yield from _provider_replaces(change, context)
    else:
        yield from _provider_replaces(change, context)


def _provider_replaces(change: Change, context: Context) -> Iterator[Hit]:
    """A major upgrade in a Terraform configuration whose AWS provider may force a new one."""
    head, pair = change.head, versions(change)
    if change.kind is not ChangeKind.MAJOR_JUMP or head is None or pair is None:
        return
    if head.provider is None or head.planned is not None:
        return  # not predicted from a configuration: a plan says what it does itself
    why = provider_forces_new(head.provider)
    if why is None:
        return
    old, new = pair
    yield Hit(
        f"{old} → {new}: Terraform would destroy and recreate the environment — the AWS "
        f"provider replaces aws_mwaa_environment when the major Airflow version goes up (since "
        f"{show(FORCE_NEW_SINCE)}), and {why}. The new environment starts with an empty "
        f"metadata database: every run's history is lost. {_how_to_keep(head, old, new, context)}"
    )


def _how_to_keep(head: Environment, old: Version, new: Version, context: Context) -> str:
    if context.catalog.path_in_place(old, new):
        return (
            "To keep it, upgrade out of band with `aws mwaa update-environment --name "
            f"{_name(head)} --airflow-version {new}`, then run `terraform apply -refresh-only` "
            "so the state matches and the plan shows no change; or create a new environment "
            "beside it and migrate the metadata"
        )
    return (
        "MWAA cannot make this change in place either: create the new environment beside "
        "the old one and migrate the metadata, rather than letting apply replace it"
    )


def provider_forces_new(provider: ProviderVersions) -> str | None:
    """Why the provider version Terraform will use can be one that forces replacement on a
    major upgrade, or None when the configuration rules that out."""
    readable, doubts = [], [provider.doubt] if provider.doubt else []
    for pin in provider.constraints:
        try:
            readable.append((pin, Constraint.parse(pin.text)))
        except ConstraintError as exc:
            doubts.append(f"`{pin.text}` ({pin.location}) cannot be read: {exc}")
    if doubts:
        return "the provider version cannot be pinned down (" + "; ".join(doubts) + ")"
    allowed = Constraint(tuple(c for _, constraint in readable for c in constraint.conditions))
    stale = ""
    if provider.locked is not None:
        locked = parse_release(provider.locked.text)
        where = f"{provider.locked.location} locks {provider.locked.text}"
        if locked is not None and allowed.allows(locked):
            return where if locked >= FORCE_NEW_SINCE else None
        stale = f"{where}, which the constraints do not keep (`terraform init` selects again); "
    if not readable:
        return stale + (
            "nothing keeps the provider below it (no version in required_providers and no "
            ".terraform.lock.hcl): Terraform installs the newest"
        )
    if not allowed.allows_any_from(FORCE_NEW_SINCE):
        return None
    shown = ", ".join(f"`{pin.text}` ({pin.location})" for pin, _ in readable)
    return stale + f"the configuration allows such a provider: {shown}"


def _name(env: Environment) -> str:
    return env.name.text if env.name.text is not None else "<environment name>"


REPLACED = Rule(
    id="MWAA007",
    severity=Severity.ERROR,
    name="environment-replaced",
    summary="the environment would be replaced (name change, or a major upgrade with AWS "
    "provider ≥ 5.2.0) or destroyed (removed); a warning when it *may* be replaced (a name "
    "that cannot be evaluated changes its expression)",
    description="A replaced or destroyed MWAA environment loses its metadata database: the "
    "history of every DAG run and task, and the connections and variables kept there; a new "
    "one also has a new web server URL. The Terraform AWS provider (since 5.2.0) replaces "
    "`aws_mwaa_environment` when the major Airflow version goes up, even where MWAA upgrades "
    "in place. Keep the environment and change its version in place (out of band if need be), "
    "or create the new one beside it and migrate the metadata.",
    help_title="Migrating to a new Amazon MWAA environment",
    help_url="https://docs.aws.amazon.com/mwaa/latest/migrationguide/migrating-to-new-mwaa.html",
    check=_replaced,
    tags=("mwaa", "replacement"),
)
