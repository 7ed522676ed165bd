"""The application edge: the ``health`` command. It imports the libraries; none imports it.

In the order a command runs:

- ``cli``: ``main``: parse, run one job, map failures to exit codes.
- ``parser``: the argument parser, every default read from a job's config dataclass.
- ``checks``: paths, model URIs and the scoring date, checked before any work.
- ``errors``: the two ways a command fails on purpose, with their exit codes.
- ``tracking``: where MLflow keeps runs and models, chosen once here.
- ``commands``: one function per subcommand, each one call to its library job.
- ``demo``: ``health demo``: generate, train, score, show the riskiest accounts.
- ``synthetic``: the demo data generator (five tables plus the hidden truth).
- ``metrics_job``: ``health metrics``: portfolio metrics as tables, a report and a run.
- ``portfolio_report``: the portfolio HTML report.
- ``retraining``: ``health monitor`` and ``health retrain``.
- ``console``: steps with their own time, tables, copy-pasteable commands.
- ``tables``: the tables the commands print.
- ``review``: helpers for the explanation-review notebook.
- ``__main__``: ``python -m health``.
"""
