"""One home for each default: the parser reads the config dataclasses; MLproject and the README
show the same values."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from features.labels import LabelConfig
from health.demo import DemoConfig
from health.parser import subcommands
from serving.score import CHAMPION_URIS, ScoreConfig
from training.config import BacktestConfig
from training.train import TrainConfig

ROOT = Path(__file__).resolve().parents[1]
ENTRY_POINTS = {"main": "demo", "train": "train", "score": "score", "backtest": "backtest"}


def _defaults(command: str) -> dict[str, object]:
    return {
        a.dest: a.default
        for a in subcommands()[command]._actions
        if a.option_strings and not a.required
    }


def test_parser_defaults_are_the_config_dataclasses():
    train, score, backtest, demo = TrainConfig(), ScoreConfig(), BacktestConfig(), DemoConfig()
    assert _defaults("train")["horizon_days"] == train.labels.horizon_days == 90
    # None: adapted to the history (training.train.history_plan)
    assert _defaults("train")["every_days"] is train.every_days is None
    assert _defaults("train")["warmup_days"] is train.warmup_days is None
    assert _defaults("train")["min_auc"] == train.gate.min_auc == 0.6
    assert _defaults("train")["experiment"] == train.experiment
    assert _defaults("train")["seed"] == train.booster.seed
    assert _defaults("features")["horizon_days"] == LabelConfig().horizon_days
    assert _defaults("score")["green_from"] == score.green_from == 80
    assert _defaults("score")["red_below"] == score.red_below == 60
    assert _defaults("score")["chunk_rows"] == score.chunk_rows
    # --model is the health score's model; the calendar's churn model has its own flag
    assert _defaults("score")["model"] == CHAMPION_URIS["health"]
    assert _defaults("score")["churn_model"] == CHAMPION_URIS["churn"]
    assert _defaults("backtest")["every_days"] == backtest.every_days == 60
    assert _defaults("backtest")["lookback_days"] == backtest.lookback_days == 365
    assert _defaults("demo")["accounts"] == demo.accounts == 2000
    assert _defaults("generate")["seed"] == demo.seed


def _same(mlproject_value: object, parser_value: object) -> bool:
    if parser_value is None:  # "" (or 'latest' for --as-of) is how MLproject says "not given"
        return mlproject_value in ("", "latest")
    if isinstance(parser_value, int | float) and not isinstance(parser_value, bool):
        return float(mlproject_value) == float(parser_value)
    return str(mlproject_value) == str(parser_value)


def test_mlproject_defaults_are_the_parsers():
    project = yaml.safe_load((ROOT / "MLproject").read_text())
    checked = 0
    for entry, command in ENTRY_POINTS.items():
        point = project["entry_points"][entry]
        defaults = _defaults(command)
        for name, spec in point["parameters"].items():
            assert f"{{{name}}}" in point["command"], (entry, name)
            if "default" not in spec or name not in defaults:
                continue  # required by the command, or a positional (data)
            assert _same(spec["default"], defaults[name]), (entry, name, spec["default"])
            checked += 1
    assert checked >= 20


def test_readme_shows_the_parsers_defaults():
    readme = (ROOT / "README.md").read_text()
    shown = 0
    for line in readme.splitlines():
        match = re.match(r"\s*health (\w+)", line)
        if not match or match.group(1) not in subcommands():
            continue
        defaults = _defaults(match.group(1))
        for flag, value in re.findall(r"\[(--[a-z-]+) ([^\]\s]+)\]", line):
            dest = flag.removeprefix("--").replace("-", "_")
            if value.isupper() or dest not in defaults:
                continue  # a placeholder such as [--as-of DATE]
            assert _same(value.replace(",", ""), defaults[dest]), (line, flag)
            shown += 1
    assert shown >= 5
    score = ScoreConfig()
    assert f"green from {score.green_from}" in readme
    assert f"red below {score.red_below}" in readme


def test_every_mlproject_entry_point_calls_a_health_subcommand():
    project = yaml.safe_load((ROOT / "MLproject").read_text())
    for entry, point in project["entry_points"].items():
        words = point["command"].split()
        assert words[:3] == ["python", "-m", "health"], entry
        assert words[3] in subcommands(), entry
