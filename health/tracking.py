"""Where MLflow keeps runs and models, chosen once at the command edge.

The rule, the same for every command: ``--tracking-uri`` if given, else ``$MLFLOW_TRACKING_URI``,
else the SQLite file ``./mlflow.db``. ``health demo`` is the exception: it always writes to its own
store, ``<--out>/mlflow.db`` (or ``--tracking-uri`` if given), and leaves ``$MLFLOW_TRACKING_URI``
untouched, so demo models never become ``@champion`` on a team's server; it prints the one
``export MLFLOW_TRACKING_URI=...`` line that the next commands need.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from health.errors import DataError

ENV = "MLFLOW_TRACKING_URI"


def sqlite_uri(folder: str | Path) -> str:
    """The URI of ``<folder>/mlflow.db``, absolute so it works from any directory."""
    return f"sqlite:///{Path(folder).resolve() / 'mlflow.db'}"


def resolve_uri(flag: str | None, default_dir: str | Path = ".") -> str:
    """``--tracking-uri``, else ``$MLFLOW_TRACKING_URI``, else ``<default_dir>/mlflow.db``."""
    return flag or os.environ.get(ENV) or sqlite_uri(default_dir)


def configure_tracking(uri: str) -> str:
    """Point MLflow's tracking and registry at ``uri`` (a SQLite file's folder is made)."""
    import mlflow

    path = sqlite_path(uri)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def sqlite_path(uri: str) -> Path | None:
    """The file of a ``sqlite:///`` URI, None for any other store."""
    return Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else None


def use_experiment(name: str) -> str:
    """Select (creating if needed) an experiment; with a SQLite store, artifacts go beside the file."""
    import mlflow

    experiment = mlflow.get_experiment_by_name(name)
    if experiment is None:
        path = sqlite_path(mlflow.get_tracking_uri())
        location = (path.parent / "mlartifacts").resolve().as_uri() if path else None
        experiment_id = mlflow.create_experiment(name, artifact_location=location)
    else:
        experiment_id = experiment.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


@contextlib.contextmanager
def project_run(parent_run_id: str | None) -> Iterator[None]:
    """Under ``mlflow run``, hold the project's run open so the job's run nests under it."""
    if not parent_run_id:
        yield
        return
    import mlflow

    with mlflow.start_run(run_id=parent_run_id):
        yield


@contextlib.contextmanager
def store_lock(uri: str, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold a SQLite store for one job at a time (``<store>.lock``, released however it ends).

    Two trainings on one store would otherwise race to create its tables and the registered
    models, and to move ``@champion``; the second waits and is then gated against the first.
    A server store serialises for itself: no lock.
    """
    path = sqlite_path(uri)
    if path is None:
        yield
        return
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting:
                waiting()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def require_registered(uri: str, model_uri: str) -> None:
    """Fail with a sentence, before any work, when ``model_uri`` names no model in the store.

    Only ``models:/NAME@ALIAS`` and ``models:/NAME/VERSION`` are looked up; a SQLite file that does
    not exist yet is not created by asking.
    """
    if not model_uri.startswith("models:/"):
        return
    name, _, ref = model_uri.removeprefix("models:/").partition("@")
    version = None
    if not ref and "/" in name:
        name, version = name.split("/", 1)
    path = sqlite_path(uri)
    if path is not None and not path.exists():
        raise DataError(missing_model_message(uri, model_uri, "the store does not exist yet"))
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    try:
        if ref:
            client.get_model_version_by_alias(name, ref)
        elif version:
            client.get_model_version(name, version)
        else:
            client.get_registered_model(name)
    except MlflowException as error:
        if error.error_code not in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            raise
        raise DataError(missing_model_message(uri, model_uri, "it has no such model")) from None


def missing_model_message(uri: str, model_uri: str, why: str) -> str:
    return (
        f"no model {model_uri} in the tracking store {uri} ({why}). Train one there with "
        "'health train DATA', or use the demo's models: run 'health demo' and then the "
        "'export MLFLOW_TRACKING_URI=...' line it prints (or pass --tracking-uri)."
    )


def ui_command(uri: str) -> str:
    """The command that opens the MLflow UI on this store."""
    return f"mlflow ui --backend-store-uri {uri}"


def export_line(uri: str) -> str:
    """The shell line that points the next commands at this store."""
    return f"export {ENV}={uri}"
