"""Prefect artifacts every run leaves: the report as Markdown and a table of the outputs."""

from pathlib import Path

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from pubpipe.units import human_size


def publish_artifacts(output: Path, outputs: dict) -> None:
    """Attach report.md and a table of outputs (file, size, pages) to the current flow run."""
    report = Path(output) / "report.md"
    create_markdown_artifact(report.read_text(encoding="utf-8"), key="pubpipe-report",
                             description="What the build did: stories, removed lines, warnings, validation")
    rows = [{"file": name, "size": human_size(info["size"]), "bytes": info["size"], "pages": info.get("pages") or ""}
            for name, info in outputs.items()]
    create_table_artifact(rows, key="pubpipe-outputs", description=f"Outputs published into {output}")
