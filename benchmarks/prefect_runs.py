"""The task runs of the last pubpipe-publish flow runs, read through the Prefect API.

    PREFECT_HOME=... .venv/bin/python benchmarks/prefect_runs.py [--last 3]

Prints one JSON list, oldest flow run first: the flow run's duration and, per task name, the summed
run time, the number of runs and how many were cache hits. With no PREFECT_API_URL the client
starts Prefect's temporary server on the same PREFECT_HOME database (a few seconds, not measured).
"""

import argparse
import asyncio
import json

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.sorting import FlowRunSort


def _seconds(run) -> float:
    if run.start_time and run.end_time:
        return (run.end_time - run.start_time).total_seconds()
    return run.total_run_time.total_seconds()


async def read(last: int) -> list:
    async with get_client() as client:
        runs = await client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["pubpipe-publish"])),
                                           sort=FlowRunSort.START_TIME_DESC, limit=last)
        out = []
        for run in reversed(runs):
            tasks = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])))
            per: dict = {}
            for t in sorted(tasks, key=lambda t: t.start_time or t.expected_start_time):
                name = t.name.rsplit("-", 1)[0]
                row = per.setdefault(name, {"seconds": 0.0, "runs": 0, "cached": 0})
                row["seconds"] += _seconds(t)
                row["runs"] += 1
                row["cached"] += t.state_name == "Cached"
            out.append({"flow_run": run.name, "state": run.state_name, "seconds": _seconds(run), "tasks": per})
        return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--last", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(read(args.last))))


if __name__ == "__main__":
    main()
