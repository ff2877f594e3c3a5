#!/usr/bin/env python3
"""Fails when any test was skipped, from a Swift Testing event stream (JSON Lines), naming each one and the
reason its `.enabled(if:)` trait gave.

Used by .ci/run: CI provides every reference client and privilege the tests ask for, so a skip there means
a missing prerequisite, not a pass."""
import sys

from test_events import events


def main(path):
    skipped = []
    for payload in events(path):
        if payload.get("kind") == "testSkipped":
            messages = payload.get("messages") or []
            reason = "; ".join(message.get("text", "") for message in messages)
            skipped.append((payload.get("testID"), reason))
    for test, reason in skipped:
        print("skipped: %s (%s)" % (test, reason or "no reason given"))
    if skipped:
        print("%d test(s) skipped; CI must run every test" % len(skipped))
        return 1
    print("no test skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
