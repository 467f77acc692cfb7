"""Terraform: the HCL tree, its values, modules and providers, plan JSON, the terraform runner."""
