"""Start flow runs of a deployment on the work pool and wait for all of them (the hourly batch's fan-out)."""

from __future__ import annotations

import time

from prefect.deployments import run_deployment


def run_all(deployment: str, runs: list[tuple[dict, list[str]]], poll_s: float = 2.0,
            timeout_s: float | None = None) -> list[dict]:
    """Start one flow run per (parameters, tags) at once, wait until every run is final; return their states.

    The runs are subflows of the calling flow (visible under it in the UI). A failed run does not stop the
    others; the caller decides what a failure means.
    """
    from prefect.client.orchestration import get_client

    started = [run_deployment(deployment, parameters=params, tags=tags, timeout=0) for params, tags in runs]
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    states: dict = {}
    with get_client(sync_client=True) as client:
        while True:
            for fr in started:
                if fr.id not in states:
                    state = client.read_flow_run(fr.id).state
                    if state is not None and state.is_final():
                        states[fr.id] = state
            if len(states) == len(started) or (deadline is not None and time.monotonic() > deadline):
                break
            time.sleep(poll_s)
    return [{"flow_run": fr.name, "parameters": params,
             "state": states[fr.id].type.value if fr.id in states else "TIMED_OUT",
             "result": _result(states.get(fr.id))}
            for fr, (params, _) in zip(started, runs)]


def _result(state):
    """The run's return value where the worker persisted it (PREFECT_RESULTS_PERSIST_BY_DEFAULT), else None."""
    if state is None or not state.is_completed():
        return None
    try:
        return state.result(raise_on_failure=False)
    except Exception:  # noqa: BLE001 - not persisted, or stored where this machine cannot read it
        return None
