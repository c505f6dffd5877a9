"""Emitters: turn a plan.json into files other tools read (Terraform variables, memos).

Emitters read a plan; they never re-solve. :mod:`planner.emit.tfvars` writes the
Terraform variables of ``terraform/`` and the per-region provider blocks.
"""
