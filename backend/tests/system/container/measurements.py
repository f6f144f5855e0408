"""What the container tests measured (build times, image size), printed at the end of the run."""

LINES: list[str] = []


def record(line: str) -> None:
    LINES.append(line)
