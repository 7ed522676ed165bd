"""Hostile input, faults and arguments through the real command line (issue 14).

Each case runs ``python -m health`` in a subprocess on a small generated company and asserts the
exit code (2 usage, 1 bad data or a failed job), the one-line message, no traceback, and that
earlier outputs are untouched.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def _env(store: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(PYTHONPATH=str(ROOT), COLUMNS="80", MLFLOW_DISABLE_TELEMETRY="true")
    if store:
        env["MLFLOW_TRACKING_URI"] = store
    return env


def health(*argv, cwd: Path, store: str | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "health", *map(str, argv)],
        cwd=cwd,
        env=_env(store),
        capture_output=True,
        text=True,
        timeout=600,
        **kw,
    )


def digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with a hash of its bytes: 'untouched' means equal digests."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def one_line_error(done: subprocess.CompletedProcess, code: int, *words: str) -> str:
    assert done.returncode == code, (done.returncode, done.stdout[-1500:], done.stderr[-3000:])
    assert "Traceback" not in done.stderr + done.stdout
    message = done.stderr.strip()
    for word in words:
        assert word in message, (word, message)
    return message


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    """A small company with trained models and one scoring in ``scores``."""
    root = tmp_path_factory.mktemp("company")
    store = f"sqlite:///{root / 'mlflow.db'}"
    done = health("generate", "--accounts", 150, "--seed", 2, "--out", "data", cwd=root)
    assert done.returncode == 0, done.stderr
    done = health("train", "data", "--every-days", 60, cwd=root, store=store)
    assert done.returncode == 0, done.stderr
    done = health("score", "data", "--out", "scores", cwd=root, store=store)
    assert done.returncode == 0, done.stderr
    return root, store


def copy_data(company, tmp_path) -> Path:
    root, _ = company
    data = tmp_path / "data"
    shutil.copytree(root / "data", data)
    return data


# ----- arguments: exit 2 before any work, one line, nothing written -------------------------------


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--as-of", "yesterday"], ["'yesterday'", "YYYY-MM-DD", "e.g. 2025-06-30"]),
        (["--as-of", "2025-06-30 14:00"], ["'2025-06-30 14:00'", "YYYY-MM-DD"]),
        (["--as-of", "2025-13-01"], ["'2025-13-01'"]),
        (["--chunk-rows", "0"], ["'0'", "positive whole number"]),
        (["--chunk-rows", "1e400"], ["positive whole number"]),
        (["--top", "-3"], ["'-3'"]),
        (["--model", "no/such/folder"], ["not a model folder", "models:/health@champion"]),
        (["--model", "http://example.invalid/model"], ["http://example.invalid/model", "e.g."]),
        (["--model", "models:/churn@"], ["not a model URI"]),
        (["--renewal-model", "s3://bucket/model"], ["s3://bucket/model"]),
        (["--green-from", "50", "--red-below", "80"], ["red_below", "green_from"]),
        (["--previous", "no-such-folder"], ["--previous", "not a folder"]),
        (["--as-of", "2030-06-30"], ["2030-06-30", "latest activity", "--allow-stale"]),
    ],
)
def test_bad_score_arguments_exit_2_with_one_line_and_write_nothing(company, argv, words):
    root, store = company
    before = digest(root / "scores")
    done = health("score", "data", "--out", "scores", *argv, cwd=root, store=store)
    message = one_line_error(done, 2, *words)
    assert len(message.splitlines()) == 1, message
    assert digest(root / "scores") == before


def test_out_naming_an_existing_file_is_a_usage_error(company, tmp_path):
    root, store = company
    target = tmp_path / "scores.txt"
    target.write_text("keep me")
    done = health("score", "data", "--out", target, cwd=root, store=store)
    one_line_error(done, 2, "is a file", "expected a folder")
    assert target.read_text() == "keep me"


@pytest.mark.parametrize(
    "argv, words",
    [
        (["features", "data", "--as-of", "31/12/2025", "--out", "f.parquet"], ["'31/12/2025'"]),
        (["features", "missing", "--as-of", "2025-06-30", "--out", "f.parquet"], ["'missing'"]),
        (["generate", "--accounts", "0", "--out", "g"], ["'0'"]),
        (["validate", "no-such-data"], ["'no-such-data'", "e.g. health-demo/data"]),
        (["train", "data", "--horizon-days", "ninety"], ["'ninety'"]),
        (["backtest", "data", "--date", "2025/06/30"], ["'2025/06/30'"]),
        (["backtest", "data", "--out", "data"], ["is a folder"]),
    ],
)
def test_other_commands_check_their_arguments_first(company, argv, words):
    root, store = company
    before = digest(root)
    done = health(*argv, cwd=root, store=store)
    one_line_error(done, 2, *words)
    assert digest(root) == before


# ----- data and stores: exit 1 with a sentence ----------------------------------------------------


def test_no_registered_model_is_one_sentence_and_creates_no_store(company, tmp_path):
    root, _ = company
    fresh = tmp_path / "fresh.db"
    done = health("score", root / "data", "--out", "s", cwd=tmp_path, store=f"sqlite:///{fresh}")
    one_line_error(done, 1, "models:/health@champion", "health train", "health demo")
    assert not fresh.exists() and not (tmp_path / "s").exists()


def test_as_of_before_any_data_is_refused_with_the_data_range(company):
    root, store = company
    before = digest(root / "scores")
    done = health(
        "score", "data", "--out", "scores", "--as-of", "1999-01-01", cwd=root, store=store
    )
    one_line_error(done, 1, "1999-01-01", "activity runs from")
    assert digest(root / "scores") == before


def test_stale_date_is_scored_when_asked_for(company, tmp_path):
    root, store = company
    done = health(
        "score", "data", "--out", tmp_path / "s", "--as-of", "2026-06-30", "--allow-stale",
        "--no-explain", cwd=root, store=store,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (pd.read_parquet(tmp_path / "s" / "scores.parquet")["as_of"] == "2026-06-30").all()


def test_a_corrupt_previous_scores_file_is_named_and_outputs_stay(company, tmp_path):
    root, store = company
    out = copy_scores(company, tmp_path)
    (out / "scores.parquet").write_bytes(b"not parquet at all")
    before = digest(out)
    done = health("score", "data", "--out", out, "--as-of", "2025-12-01", cwd=root, store=store)
    one_line_error(done, 1, "scores.parquet")
    assert digest(out) == before


def test_subscriptions_with_a_header_and_no_rows(company, tmp_path):
    root, store = company
    data = copy_data(company, tmp_path)
    header = (data / "subscriptions.csv").read_text().splitlines()[0]
    (data / "subscriptions.csv").write_text(header + "\n")
    done = health("score", data, "--out", tmp_path / "s", cwd=root, store=store)
    one_line_error(done, 1, "subscriptions")
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    "table, column, value, words",
    [
        ("subscriptions", "mrr", -50.0, ["subscriptions", "mrr", "negative"]),
        ("subscriptions", "mrr", np.inf, ["subscriptions", "mrr", "infinite"]),
        ("accounts", "seats", -3, ["accounts", "seats", "negative"]),
        ("events", "value", -1, ["events", "value", "negative"]),
    ],
)
def test_impossible_numbers_are_contract_errors(company, tmp_path, table, column, value, words):
    root, _ = company
    data = copy_data(company, tmp_path)
    path = next(data.glob(f"{table}.*"))
    frame = pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)
    if column not in frame:
        frame[column] = 1
    frame[column] = frame[column].astype(float)
    frame.loc[frame.index[3], column] = value
    frame.to_csv(path, index=False) if path.suffix == ".csv" else frame.to_parquet(path)
    done = health("validate", data, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    for word in words:
        assert word in done.stdout, (word, done.stdout)


def test_validate_reports_every_problem_in_one_run(company, tmp_path):
    root, _ = company
    data = copy_data(company, tmp_path)
    subs = pd.read_csv(data / "subscriptions.csv")
    subs.loc[0, "mrr"] = -1
    subs.loc[1, "start_date"] = "not a date"
    subs.to_csv(data / "subscriptions.csv", index=False)
    tickets = pd.read_csv(data / "tickets.csv")
    tickets.loc[0, "account_id"] = "NO-SUCH-ACCOUNT"
    tickets.to_csv(data / "tickets.csv", index=False)
    done = health("validate", data, cwd=tmp_path)
    assert done.returncode == 1
    for words in ("negative", "unparseable date", "not in accounts"):
        assert words in done.stdout, done.stdout


def test_validate_reports_the_problems_of_every_stage_in_one_run(company, tmp_path):
    """Unreadable tables, the contract of the others, events on disk and the config's options."""
    data = copy_data(company, tmp_path)
    subs = pd.read_csv(data / "subscriptions.csv")
    subs.loc[2, "mrr"] = -7
    subs.to_csv(data / "subscriptions.csv", index=False)
    events = pd.read_parquet(data / "events.parquet")
    events["account_id"] = events["account_id"].astype(str)
    events.loc[events.index[1], "account_id"] = "NO-SUCH-ACCOUNT"
    events.to_parquet(data / "events.parquet")
    config = data / "health.toml"
    config.write_text(
        'observed_until = "someday"\n'
        '[tables.accounts]\npath = "accounts.csv"\n'
        '[tables.subscriptions]\npath = "subscriptions.csv"\n'
        '[tables.events]\npath = "events.parquet"\n'
        '[tables.tickets]\npath = "no-such-tickets.csv"\n'
        '[tables.surveys]\npath = "surveys.csv"\ncolumns = { responded_at = "answered" }\n'
    )
    done = health("validate", config, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    for where in (
        "- tickets: file not found",
        "- surveys.responded_at: the config maps",
        "- subscriptions.mrr: 1 negative value",
        "- events.account_id: 1 row",
        "observed_until must be a date",
    ):
        assert where in done.stdout, (where, done.stdout)
    assert done.stdout.startswith("5 problems"), done.stdout
    folder = health("validate", data, cwd=tmp_path)  # the folder: events checked on disk
    assert folder.returncode == 1
    assert "- subscriptions.mrr:" in folder.stdout and "- events.account_id:" in folder.stdout


def test_implausible_dates_are_reported_not_built_on(company, tmp_path):
    root, _ = company
    data = copy_data(company, tmp_path)
    events = pd.read_parquet(data / "events.parquet")
    events.loc[events.index[0], "timestamp"] = pd.Timestamp("1900-01-01")
    events.to_parquet(data / "events.parquet")
    done = health("validate", data, cwd=tmp_path)
    assert done.returncode == 1
    assert "1990" in done.stdout and "events" in done.stdout and "timestamp" in done.stdout


def test_a_future_dated_row_does_not_move_the_default_date(company, tmp_path):
    root, store = company
    data = copy_data(company, tmp_path)
    events = pd.read_parquet(data / "events.parquet")
    latest = events["timestamp"].max()
    extra = events.iloc[[0]].copy()
    extra["timestamp"] = pd.Timestamp("2099-06-01")
    pd.concat([events, extra]).to_parquet(data / "events.parquet")
    # A renewal signed in advance: a term starting on the current term's end.
    subs = pd.read_csv(data / "subscriptions.csv")
    running = subs[subs["end_date"].notna()].iloc[[-1]].copy()
    running["start_date"], running["end_date"] = running["end_date"], "2027-06-01"
    if "subscription_id" in running:
        running["subscription_id"] = "SIGNED-IN-ADVANCE"
    pd.concat([subs, running]).to_csv(data / "subscriptions.csv", index=False)
    done = health("score", data, "--out", tmp_path / "s", "--no-explain", cwd=root, store=store)
    assert done.returncode == 0, done.stderr
    scores = pd.read_parquet(tmp_path / "s" / "scores.parquet")
    assert (scores["as_of"] == latest.normalize() + pd.Timedelta(days=1)).all()
    assert "1 row(s) dated after today" in done.stdout and "2099-06-01" in done.stdout


# ----- dates: one reading of day and month per column ----------------------------------------

DATES = {
    "accounts": ["created_at"],
    "subscriptions": ["start_date", "end_date"],
    "tickets": ["created_at", "first_response_at", "resolved_at"],
    "surveys": ["responded_at"],
}


def write_day_first(data: Path, tables=DATES, fmt: str = "%d/%m/%Y %H:%M:%S") -> None:
    """Rewrite the dates of ``tables`` in place as day-first text (blank cells stay blank)."""
    for name, columns in tables.items():
        path = data / f"{name}.csv"
        frame = pd.read_csv(path, dtype=str)
        for column in columns:
            frame[column] = pd.to_datetime(frame[column]).dt.strftime(fmt)
        frame.to_csv(path, index=False)


def test_day_first_dates_are_reported_by_validate_with_every_other_problem(company, tmp_path):
    data = copy_data(company, tmp_path)
    write_day_first(data, {"tickets": ["created_at"]})
    events = pd.read_parquet(data / "events.parquet")  # text timestamps in Parquet, day first
    events["timestamp"] = events["timestamp"].dt.strftime("%d.%m.%Y %H:%M")
    events.to_parquet(data / "events.parquet")
    subs = pd.read_csv(data / "subscriptions.csv")
    subs.loc[0, "mrr"] = -1
    subs.to_csv(data / "subscriptions.csv", index=False)
    done = health("validate", data, cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    out = done.stdout
    for where in ("tickets.created_at", "events.timestamp", "subscriptions.mrr"):
        assert f"- {where}:" in out, out
    assert out.count("valid only day first") == 2 and "dayfirst = true" in out
    example = pd.read_csv(data / "tickets.csv", dtype=str)["created_at"]
    shown = example[pd.to_numeric(example.str[:2]) > 12].iloc[0]
    assert shown in out, (shown, out)


def test_scoring_stops_on_day_first_dates_with_the_contract_error_and_keeps_outputs(
    company, tmp_path
):
    root, store = company
    data = copy_data(company, tmp_path)
    write_day_first(data, {"accounts": ["created_at"]}, "%d/%m/%y")  # two-digit years too
    out = copy_scores(company, tmp_path)
    before = digest(out)
    done = health("score", data, "--out", out, cwd=root, store=store)
    message = one_line_error(done, 1, "does not meet the contract", "accounts.created_at")
    assert "valid only day first" in message and "dayfirst = true" in message
    assert digest(out) == before


def _config(data: Path, top: str = "", tickets: str = "") -> Path:
    text = top + "\n"
    for name in ("accounts", "subscriptions", "events", "tickets", "surveys"):
        suffix = "parquet" if name == "events" else "csv"
        text += f'[tables.{name}]\npath = "{name}.{suffix}"\n'
        text += (tickets if name == "tickets" else "") + "\n"
    path = data / "health.toml"
    path.write_text(text)
    return path


def test_a_dayfirst_config_builds_the_features_of_the_iso_data(company, tmp_path):
    root, _ = company
    data = copy_data(company, tmp_path)
    write_day_first(data)  # every CSV date, day first, with times and blank ends
    config = _config(data, top="dayfirst = true")
    done = health("validate", config, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    as_of = "2025-06-01"
    for source, name in ((root / "data", "iso.parquet"), (config, "dayfirst.parquet")):
        done = health("features", source, "--as-of", as_of, "--out", name, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    iso, day_first = (pd.read_parquet(tmp_path / n) for n in ("iso.parquet", "dayfirst.parquet"))
    assert len(iso) > 100
    pd.testing.assert_frame_equal(day_first, iso)


def test_a_column_mixing_both_readings_is_refused_whatever_dayfirst_says(company, tmp_path):
    data = copy_data(company, tmp_path)
    write_day_first(data, {"tickets": ["created_at"]}, "%d/%m/%Y")
    tickets = pd.read_csv(data / "tickets.csv", dtype=str)
    row = tickets.index[pd.to_numeric(tickets["created_at"].str[:2]) > 12][0]
    day, month, year = tickets.loc[row, "created_at"].split("/")
    tickets.loc[row, "created_at"] = f"{month}/{day}/{year}"  # this row alone month first
    tickets.to_csv(data / "tickets.csv", index=False)
    mixed = health("validate", data, cwd=tmp_path)
    assert mixed.returncode == 1 and "Traceback" not in mixed.stdout + mixed.stderr
    assert "- tickets.created_at:" in mixed.stdout
    assert "mix the two readings of day and month" in mixed.stdout, mixed.stdout
    assert tickets.loc[row, "created_at"] in mixed.stdout
    told = health("validate", _config(data, tickets="dayfirst = true"), cwd=tmp_path)
    assert told.returncode == 1
    assert "1 date valid only month first, where dayfirst = true" in told.stdout, told.stdout
    assert f"{row:>4}" in told.stdout and tickets.loc[row, "created_at"] in told.stdout


def test_dayfirst_must_be_true_or_false(company, tmp_path):
    data = copy_data(company, tmp_path)
    config = _config(data, tickets='dayfirst = "yes"')
    done = health("validate", config, cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert "- tickets: `dayfirst` in [tables.tickets] must be true" in done.stdout, done.stdout
    done = health("features", config, "--as-of", "2025-06-01", "--out", "f.parquet", cwd=tmp_path)
    one_line_error(done, 1, "[tables.tickets]", "must be true")
    assert not (tmp_path / "f.parquet").exists()


def test_an_events_row_dated_2100_stops_scoring_instead_of_moving_the_date(company, tmp_path):
    root, store = company
    data = copy_data(company, tmp_path)
    events = pd.read_parquet(data / "events.parquet")
    events.loc[events.index[5], "timestamp"] = pd.Timestamp("2100-03-01")
    events.to_parquet(data / "events.parquet")
    out = copy_scores(company, tmp_path)
    before = digest(out)
    done = health("score", data, "--out", out, cwd=root, store=store)
    one_line_error(done, 1, "events.timestamp", "1 implausible date", "2100-03-01")
    assert digest(out) == before


# ----- outputs: spreadsheet-safe, interrupted runs, write errors ----------------------------------


def test_every_text_cell_of_scores_csv_is_spreadsheet_safe(company, tmp_path):
    root, store = company
    data = copy_data(company, tmp_path)
    hostile = '=HYPERLINK("http://example.invalid","x")'
    for name in ("accounts", "subscriptions", "tickets", "surveys"):
        path = data / f"{name}.csv"
        frame = pd.read_csv(path)
        frame["account_id"] = frame["account_id"].replace({"A00001": hostile})
        frame.to_csv(path, index=False)
    events = pd.read_parquet(data / "events.parquet")
    events["account_id"] = events["account_id"].astype(str).replace({"A00001": hostile})
    events.to_parquet(data / "events.parquet")
    done = health("score", data, "--out", tmp_path / "s", "--no-explain", cwd=root, store=store)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "s" / "scores.csv").read_text()
    for line in text.splitlines():
        for cell in line.split(","):
            assert not cell.strip('"').startswith(("=", "+", "-", "@")), cell
    assert hostile in set(pd.read_parquet(tmp_path / "s" / "scores.parquet")["account_id"])


def staging(out: Path) -> list[Path]:
    """Output sets being written (or left by a killed run): every set but the live one."""
    sets = out / ".sets"
    if not sets.is_dir():
        return []
    live = Path(os.readlink(out / ".current")).name if (out / ".current").is_symlink() else None
    return [p for p in sets.iterdir() if p.name != live]


def copy_scores(company, tmp_path) -> Path:
    root, _ = company
    out = tmp_path / "scores"
    shutil.copytree(root / "scores", out, symlinks=True)
    return out


def _wait_for_staging(out: Path, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not staging(out):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no staging folder appeared"
        time.sleep(0.05)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_scoring_removes_staging_and_keeps_outputs(company, tmp_path, sig):
    root, store = company
    out = copy_scores(company, tmp_path)
    before = digest(out)
    process = subprocess.Popen(
        [sys.executable, "-m", "health", "score", "data", "--out", out, "--as-of", "2025-11-01",
         "--chunk-rows", "5"],
        cwd=root, env=_env(store), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _wait_for_staging(out, process)
    process.send_signal(sig)
    _, err = process.communicate(timeout=120)
    assert process.returncode in (130, 143), err
    assert "Traceback" not in err and "interrupted" in err
    assert not staging(out)
    assert digest(out) == before


def test_stale_staging_left_by_a_killed_run_is_removed_by_the_next(company, tmp_path):
    root, store = company
    out = copy_scores(company, tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "health", "score", "data", "--out", out, "--chunk-rows", "5"],
        cwd=root, env=_env(store), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _wait_for_staging(out, process)
    process.kill()  # SIGKILL: nothing can clean up
    process.wait()
    assert staging(out)
    done = health("score", "data", "--out", out, "--no-explain", cwd=root, store=store)
    assert done.returncode == 0, done.stderr
    assert not staging(out)


def test_a_write_error_fails_cleanly_and_keeps_outputs(company, tmp_path):
    root, store = company
    out = copy_scores(company, tmp_path)
    before = digest(out)

    def small_files():  # like a full disk: no file may grow past 20 kB
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    done = subprocess.run(
        [sys.executable, "-m", "health", "score", "data", "--out", out, "--as-of", "2025-11-01"],
        cwd=root, env=_env(store), capture_output=True, text=True, preexec_fn=small_files,
        timeout=600,
    )  # fmt: skip
    one_line_error(done, 1, "File too large")
    assert not staging(out)
    assert digest(out) == before


def test_two_trainings_at_once_on_a_fresh_store_both_end_cleanly(company, tmp_path):
    root, _ = company
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    # 150 accounts on a 90-day grid separate nothing (AUC 0.5): the floors are waived so that a
    # champion is made and the race for the alias is what this test sees.
    argv = [sys.executable, "-m", "health", "train", "data", "--every-days", "90"]
    argv += ["--min-auc", "0", "--no-baseline-floor"]
    processes = [
        subprocess.Popen(
            argv,
            cwd=root,
            env=_env(store),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(2)
    ]
    for process in processes:
        out, err = process.communicate(timeout=900)
        assert process.returncode == 0, err
        assert "Traceback" not in err
    client = MlflowClient(tracking_uri=store, registry_uri=store)
    for name in ("churn", "renewal"):
        versions = client.search_model_versions(f"name='{name}'")
        assert len(versions) == 2
        champion = client.get_model_version_by_alias(name, "champion")
        assert str(champion.version) in {str(v.version) for v in versions}


def test_long_ticket_text_is_scored_in_bounded_time_per_character():
    """Sentiment reads at most MAX_TEXT_CHARS: a 1 MB body scores as its first part does."""
    from features.sentiment import MAX_TEXT_CHARS, sentiment_scores

    head = "The export is broken and support is slow. " * (MAX_TEXT_CHARS // 42 + 1)
    body = head + "Everything is wonderful, we love it! " * 30_000  # about 1 MB
    scores = sentiment_scores(pd.Series([body, head[:MAX_TEXT_CHARS]]))
    assert scores.iloc[0] == scores.iloc[1] < 0
