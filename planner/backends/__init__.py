"""Solver backends other than linopy's own interfaces (see planner.solve._run_backend)."""
