"""The Streamlit what-if app: a thin shell over the planner's public functions.

``regionplan app`` (or ``streamlit run app/streamlit_app.py``) serves it. The modules:

* :mod:`app.views` — pure functions from plans and DataFrames to KPI cards, tables and
  plotly figures (no Streamlit; unit-tested on their own);
* :mod:`app.state` — the caches (catalog, one built :class:`planner.session.PlanSession`
  per scenario hash, solved plans, frontiers, baselines) and sidebar inputs → scenario
  overrides;
* :mod:`app.streamlit_app` — layout and widgets only.
"""
