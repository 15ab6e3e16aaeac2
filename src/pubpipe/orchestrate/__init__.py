"""How the build runs: the runner, Prefect's servers and deployments, child processes, progress."""
