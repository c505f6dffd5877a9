"""Connectors: pull, normalize and store the data regionplan plans with.

Everything here produces or loads *canonical tables* (see :mod:`connectors.schema`):
pandas DataFrames with units in their column names and provenance on every row.
Nothing here decides anything; deciding is the planner's job.
"""
