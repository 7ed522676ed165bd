"""The command line's own surface: help that teaches, one-line usage errors, the command list."""

from __future__ import annotations

import argparse
import re

import pytest

from health.cli import main
from health.parser import build_parser, subcommands


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_every_subcommand_help_shows_each_default_once_and_never_none(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert text.startswith(f"usage: health {command}")
    assert "(default: None)" not in text
    assert not re.search(r"\(default: [^)]*\) \(default:", text)  # never two after one option
    packed = "".join(text.split())  # argparse may break a line inside "health-demo"
    parser = subcommands()[command]
    for action in parser._actions:
        if action.required or not action.option_strings:
            continue
        if action.default not in (None, False, [], "", argparse.SUPPRESS):
            assert f"(default:{action.default})".replace(" ", "") in packed, action.dest


def test_required_options_and_data_have_help_lines(capsys):
    for command, parser in subcommands().items():
        for action in parser._actions:
            assert action.help, f"health {command} {action.dest} has no help line"
    main_help = build_parser().format_help()
    assert "--version" in main_help


def test_bare_health_lists_every_command_and_where_to_start(capsys):
    assert main([]) == 0
    text = capsys.readouterr().out
    for name in subcommands():
        assert f"\n  {name} " in text
    assert "health demo" in text and "health validate DATA" in text
    assert "health COMMAND --help" in text


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("health ")


@pytest.mark.parametrize(
    "argv, wrong",
    [
        (["score", "d", "--out", "o", "--as-of", "yesterday"], "'yesterday'"),
        (["score", "d", "--out", "o", "--as-of", "2025-06-30 14:00"], "'2025-06-30 14:00'"),
        (["score", "d", "--out", "o", "--as-of", "2025-02-30"], "'2025-02-30'"),
        (["score", "d", "--out", "o", "--chunk-rows", "0"], "'0'"),
        (["features", "d", "--out", "f.parquet", "--as-of", "30/06/2025"], "'30/06/2025'"),
        (["train", "d", "--every-days", "2.5"], "'2.5'"),
        (["train", "d", "--tune", "-1"], "'-1'"),
        (["demo", "--accounts", "inf"], "'inf'"),
    ],
)
def test_bad_arguments_are_one_line_usage_errors(argv, wrong, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert wrong in err and "expected" in err and "e.g." in err


def test_train_without_data_or_table_is_a_usage_error(capsys):
    assert main(["train"]) == 2
    err = capsys.readouterr().err
    assert "needs DATA" in err and "Traceback" not in err


def test_mlflow_style_float_parameters_are_accepted():
    args = build_parser().parse_args(["train", "d", "--every-days", "30.0", "--tune", "0.0"])
    assert (args.every_days, args.tune) == (30, 0)
    args = build_parser().parse_args(["score", "d", "--out", "o", "--as-of", "latest"])
    assert args.as_of is None
