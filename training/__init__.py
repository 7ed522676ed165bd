"""Feature matrix -> validated, calibrated models in MLflow, gated into the registry.

Imports ``features`` and ``serving`` (the model it packages is the one scoring runs). In
pipeline order:

- ``config``: the settings of training and the backtest (read by the command line).
- ``split``: validation splits, out of time where there is history.
- ``fit``: LightGBM with early stopping and the logistic-regression baseline.
- ``tune``: optional hyperparameter search (``--tune N``).
- ``metrics``: ROC/PR AUC, lift, Brier, log loss, ECE.
- ``label_rates``: a label's rate per as-of date and a warning when it jumps.
- ``guard``: the champion floor and the leakage guard.
- ``plots``: validation plots, model against baseline.
- ``train``: the training job: matrix -> runs -> ``@champion`` when the gate says so.
- ``table``: training from a ready feature table.
- ``report``: the model-report notebook's helpers (reads what a run logged).
- ``backtest``: replay scoring at past dates with models that knew only the data before them.
- ``backtest_report``: the backtest as one HTML file.
"""
