"""regionplan's planner: scenario + catalog in, optimal plan out.

The planner is pure: no network, no Streamlit, no files except through explicit
arguments. The recipe is top-down::

    scenario = load_scenario(path)
    problem = prepare(scenario, catalog)     # arrays the model needs, with provenance
    model = build(problem)                   # linopy model in named blocks
    solution = solve(model, options)         # HiGHS by default
    plan = extract(problem, solution)        # frozen Plan with every term reported
"""

__version__ = "0.1.0"
