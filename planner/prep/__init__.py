"""The named steps of :func:`planner.problem.prepare`, one module each.

Data flows one way: ``names`` → ``periods`` → ``regions`` (candidates, with ``water``
fallbacks for unpublished water figures, and offers) →
``grid`` (carbon intensity) → ``gpu`` (per-GPU coefficients) → ``training`` /
``inference`` (workload arrays and pre-solve checks) → ``capacity`` (quotas). Each step
takes plain inputs and returns a frozen record with the figures it used, so any step can
be read and tested on its own.
"""
