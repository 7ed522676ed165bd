"""Registered models + raw tables -> scores, reasons in words and explanations.

Imports ``features``, never ``training`` or ``health``. In pipeline order:

- ``config``: the scoring job's settings and the champions it reads (read by the command line).
- ``calibration``: turn a raw model output into a probability (Platt or isotonic), fit and apply.
- ``model``: the packaged MLflow pyfunc: features, category levels, booster, calibrator.
- ``reference``: what a model stores to be judged against: binned distributions for monitoring,
  and the medians of accounts that stayed that reasons are weighed against.
- ``bands``: the 0-100 health score, its thresholds, the band order and colours.
- ``sentences``: a reason's value and reference in a plain-word sentence.
- ``reasons``: which behaviours are offered as reasons (profile never; a point at least).
- ``outputs``: output sets written all or nothing.
- ``score``: the scoring job: features, probabilities, SHAP drivers, files.
- ``served``: the registered pyfunc's answer (score, band, reasons per row), its code and needs.
- ``spark``: the same scoring job on Apache Spark, by account.
"""
