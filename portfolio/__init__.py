"""Portfolio health metrics over time: revenue movements, voice of the customer, engagement,
support and cohorts, per period and per segment (issue 15).

Imports ``features`` only (the contract, the coverage spells and grace gap of ``features.labels``,
the observation window of ``features.timeline``, the event reduction of ``features.events``); never ``training``, ``serving`` or ``health``.
Every metric is defined once, in the module named for its family, with its formula and edge cases.
"""
