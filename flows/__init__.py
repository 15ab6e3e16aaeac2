"""The Prefect flows (importable as pubpipe_flows)."""
