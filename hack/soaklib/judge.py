"""How the soak judges what happened: which disruption, if any, excuses each failed connection, whether the
long-lived connections on gracefully deleted pods drained there, and when `Failed` was shown."""


class Disruption:
    """One thing the soak did to the cluster, the network or berth. `at`..`end` is when it was being done (for an
    instant one, such as a force deletion, the time around its API call); `app` is the app whose pods went."""

    def __init__(self, kind, at, end, app=None, grace=None):
        self.kind, self.at, self.end, self.app, self.grace = kind, at, end, app, grace

    def as_json(self, zero):
        entry = {"kind": self.kind, "at": round(self.at - zero, 2), "end": round(self.end - zero, 2)}
        if self.app:
            entry["app"] = self.app
        return entry


# Connections cut by these (open ones, and new ones made while they last) are excused: the issue's "outside
# partitions", a restart of the API server (which closes every connection, as a partition does) and the daemon
# itself being killed.
CUTS_EVERYTHING = {"partition": "partition", "api restart": "API server restart", "kill berth": "berth killed"}
# The pod-gone instant of a graceful deletion is known to within this many seconds either way.
GRACE_SLACK = 0.6


def overlaps(a_start, a_end, b_start, b_end):
    return a_start <= b_end and b_start <= a_end


def pod_killed(disruption, start, end):
    """Whether the app's pods were killed (force deleted, or gone at the end of their grace period) in start..end."""
    if disruption.kind == "force delete":
        return overlaps(start, end, disruption.at, disruption.end)
    if disruption.kind == "graceful delete":
        return overlaps(start, end, disruption.at + disruption.grace - GRACE_SLACK,
                        disruption.end + disruption.grace + GRACE_SLACK)
    return False


def excuse(disruptions, app, start, end):
    """The kind of excuse for a connection of `app` that failed after working (or being attempted) in start..end,
    or None when nothing excuses it."""
    for d in disruptions:
        if d.kind in CUTS_EVERYTHING and overlaps(start, end, d.at, d.end):
            return CUTS_EVERYTHING[d.kind]
    for d in disruptions:
        if d.app == app and pod_killed(d, start, end):
            return "in a killed pod"
    return None


def classify(pool, disruptions, app_of, stopped_at):
    """Every failure of the run, by excuse: {"new": {excuse: [...]}, "long-lived": {excuse: [...]}} where the
    excuse "unexplained" is what the soak fails on."""
    found = {"new": {}, "long-lived": {}}

    def add(kind, reason, entry):
        found[kind].setdefault(reason or "unexplained", []).append(entry)

    for attempt in pool.failed:
        reason = excuse(disruptions, app_of[attempt.forward], attempt.began, attempt.ended)
        add("new", reason, (attempt.forward, attempt.began, attempt.ended, attempt.error))
    for connection in pool.long_lived:
        if connection.ended is None or connection.ended >= stopped_at:
            continue
        start = connection.last_ok()
        reason = excuse(disruptions, app_of[connection.forward], start, connection.ended)
        # A connection that never echoed was a new connection that failed.
        kind = "long-lived" if connection.echoes else "new"
        add(kind, reason, (connection.forward, start, connection.ended, connection.error))
    return found


def drains(pool, disruptions, echo_of):
    """For every graceful deletion: whether the long-lived connection open on the app's pod kept echoing until the
    pod's grace period was nearly over. Returns (survived, [cut: (forward, deleted at, ended, error)])."""
    survived, cut = 0, []
    cuts_everything = [d for d in disruptions if d.kind in CUTS_EVERYTHING]
    for d in disruptions:
        if d.kind != "graceful delete":
            continue
        forward = echo_of[d.app]
        needed = d.at + d.grace - 1.0  # an echo this late means the connection drained on the terminating pod
        for connection in pool.long_lived:
            if connection.forward != forward or connection.connected >= d.at:
                continue
            if connection.ended is not None and connection.ended < d.at:
                continue
            if not any(t <= d.at for t in connection.echoes):
                continue  # not yet bridged to the pod when it was deleted: a new connection, judged as one
            if any(overlaps(d.at, d.end + d.grace, c.at, c.end) for c in cuts_everything):
                continue  # something else cut every connection meanwhile
            if any(t >= needed for t in connection.echoes):
                survived += 1
            else:
                cut.append((forward, d.at, connection.ended, connection.error))
    return survived, cut


def failed_shown(history, failed_lines, disruptions):
    """Every time a forward was `Failed` (in the status watch or the log) outside a partition: (time, forward,
    the last disruption before it, what said so)."""
    partitions = [d for d in disruptions if d.kind == "partition"]
    shown = []

    def after(at):
        before = [d for d in disruptions if d.at <= at]
        return ("%s at %.1f s" % (before[-1].kind, before[-1].at)) if before else "start"

    for at, forward, phase, reason, message in history:
        if phase == "Failed" and not any(p.at <= at <= p.end for p in partitions):
            shown.append((at, forward, after(at), "status: %s: %s" % (reason, message)))
    for at, forward, line in failed_lines:
        if not any(p.at <= at <= p.end for p in partitions):
            shown.append((at, forward, after(at), "log: " + line))
    return sorted(shown)
