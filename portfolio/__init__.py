"""Portfolio health metrics over time: revenue movements, voice of the customer, engagement,
support and cohorts, per period and per segment (issue 15).

Imports ``features`` only (loading, the contract, the coverage rules of ``features.timeline`` and
the event reduction of ``features.events``); never ``training``, ``serving`` or ``health``.
Every metric is defined once, in the module named for its family, with its formula and edge cases.
"""
