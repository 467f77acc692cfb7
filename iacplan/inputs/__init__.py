"""Where environments come from: the input kinds, each behind `interface.InputKind`, and the
registry (`registry.py`) that picks the kinds that read a path.

Adding an input kind is one subpackage (or module) with an `InputKind` and one entry in
`registry.KINDS`. Nothing is imported here: the evaluator's child imports the Terraform
family alone, not every kind the registry brings (see iacplan.runtime.forked).
"""
