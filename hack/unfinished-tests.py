#!/usr/bin/env python3
"""Prints the tests that started but never ended, from a Swift Testing event stream (JSON Lines).

Used by .ci/run when `swift test` fails or is stopped: a test that hangs otherwise leaves no name behind,
because the runner's own output is buffered."""
import sys

from test_events import events


def main(path):
    started, ended = [], set()
    for payload in events(path):
        test = payload.get("testID")
        if payload.get("kind") == "testStarted":
            started.append(test)
        elif payload.get("kind") == "testEnded":
            ended.add(test)
    unfinished = [test for test in started if test not in ended]
    for test in unfinished:
        print("still running when the suite ended: %s" % test)
    if not unfinished:
        print("every test that started also ended")


if __name__ == "__main__":
    main(sys.argv[1])
