"""Registered models + raw tables -> scores, reasons in words and explanations.

Imports ``features``, never ``training`` or ``health``. In pipeline order:

- ``calibration``: turn a raw model output into a probability (Platt or isotonic), fit and apply.
- ``model``: the packaged MLflow pyfunc: features, category levels, booster, calibrator.
- ``reference``: binned reference distributions a model stores for monitoring.
- ``bands``: the 0-100 health score, its thresholds, the band order and colours.
- ``sentences``: a driver's value and reference in a plain-word sentence.
- ``outputs``: output sets written all or nothing.
- ``score``: the scoring job: features, probabilities, SHAP drivers, files.
- ``spark``: the same scoring job on Apache Spark, by account.
"""
