"""Is the champion still fit? Earlier scorings + today's data -> drift, realised figures, a verdict.

Imports ``features`` and ``serving`` only; only the ``health`` edge imports it. In pipeline order:

- ``drift``: today's rows against the binned references the model stored.
- ``realised``: what became of an earlier scoring's accounts once its horizon passed.
- ``migration``: who moved between bands from one scoring to the next.
- ``verdict``: retrain, watch or ok, with the reasons in words.
- ``report``: one self-contained HTML page and its figures.
- ``job``: the monitoring job, written to a folder and logged as one MLflow run.
"""
