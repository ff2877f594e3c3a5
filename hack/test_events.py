"""Reads a Swift Testing event stream (JSON Lines, --event-stream-version 0): the one reader the CI
reports (unfinished-tests.py, skipped-tests.py) share."""
import json


def events(path):
    """Yields the payload of every event record, skipping lines that are not JSON."""
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("kind") == "event":
                yield record.get("payload", {})
