"""The soak's run: the cluster, berth, the client pool and the schedule of disruptions, and what was seen."""

import heapq
import os
import subprocess
import sys
import time

from clients import free_port
from daemon import Berth
from judge import Disruption
from peers import FakeKube, manifest
from pool import Pool

HERE = os.path.dirname(os.path.abspath(__file__))
APPS = ["app-%d" % i for i in range(10)]
GRACE = {app: (2 if app in ("app-8", "app-9") else 3) for app in APPS}  # terminationGracePeriodSeconds, cluster.yaml
VETH = "soak0"
PARTITION_SECONDS = 20
SETTLE_AFTER = 5.0  # every forward must be Ready this long after a disruption ends
STEADY_SECONDS = 30.0


def log(message):
    sys.stderr.write("[soak %s] %s\n" % (time.strftime("%H:%M:%S"), message))
    sys.stderr.flush()


def schedule(seconds):
    """(time, order, kind, payload): a pod deletion every 5 s (force and graceful in turn), watch drops every 30 s,
    an API-server restart every 2 min, a 20 s partition every 3 min, a veth flap every 2 min and one kill -9.
    The offsets keep them from landing on the same instant; order 0 (checks) goes before 1 at a tie."""
    events = []

    def every(first, period, kind, last=seconds):
        t = first
        while t < last:
            events.append((t, 1, kind, None))
            t += period

    for k in range(int((seconds - 0.01) // 5)):
        events.append((5.0 * (k + 1), 1, "delete", k))
    every(12.5, 30, "drop watches")
    every(57.5, 120, "api restart")
    every(87.5, 180, "partition", seconds - PARTITION_SECONDS)
    every(22.5, 120, "veth flap")
    if seconds > 32.5:
        events.append((32.5, 1, "kill berth", None))
    return events




class Soak:
    """One run: the cluster, berth, the pool, the schedule, and what was seen."""

    def __init__(self, args, bin_dir, workdir, veth_skip):
        self.args, self.workdir, self.veth_skip = args, workdir, veth_skip
        self.cluster = FakeKube(os.path.join(bin_dir, "fake-kube"), os.path.join(HERE, "cluster.yaml"),
                                workdir)
        forwards, self.http, self.echo = [], {}, {}
        for app in APPS:
            for name, remote, into in (("http-" + app[4:], 80, self.http), ("echo-" + app[4:], 7000, self.echo)):
                port = free_port()
                forwards.append((name, "soak", app, port, remote))
                into[name] = (app, port)
        self.app_of = {name: app for name, (app, _) in list(self.http.items()) + list(self.echo.items())}
        self.echo_of = {app: name for name, (app, _) in self.echo.items()}
        path = os.path.join(workdir, "forwards.yaml")
        with open(path, "w") as f:
            f.write(manifest(forwards))
        self.berth = Berth(os.path.join(bin_dir, "berth"), path, self.cluster.kubeconfig, os.path.join(workdir, "run"))
        self.pool = Pool(self.http, self.echo, args.clients, args.interval_ms / 1000.0)
        self.disruptions, self.skipped, self.violations, self.flaps = [], [], [], []
        self.pending_kill = None
        self.partition_until = 0.0
        self.baseline = self.final = None
        self.queue = []
        self.sequence = 0
        self.steady = None
        self.stopped_at = None
        self.zero = None

    def now(self):
        return time.monotonic() - self.zero

    def push(self, at, order, kind, payload=None):
        self.sequence += 1
        heapq.heappush(self.queue, (at, order, self.sequence, kind, payload))

    def run(self, seconds):
        if not self.berth.wait_all_ready(len(self.app_of), 120):
            raise RuntimeError("berth up did not make all 20 forwards Ready: " + self.berth.process.tail())
        self.pool.start()
        self.zero = time.monotonic()
        log("all 20 forwards Ready; clients started; %d s of disruptions" % seconds)
        for at, order, kind, payload in schedule(seconds):
            self.push(at, order, kind, payload)
        while self.queue:
            at, _, _, kind, payload = heapq.heappop(self.queue)
            while self.now() < at:
                self.notice_restart()
                time.sleep(min(0.05, max(0.0, at - self.now())))
            self.notice_restart()
            getattr(self, "do_" + kind.replace(" ", "_"))(payload)
        self.steady_tail()

    def notice_restart(self):
        if self.pending_kill and self.berth.all_ready(len(self.app_of)):
            self.pending_kill.end = time.monotonic()
            log("berth Ready again %.1f s after kill -9" % (self.pending_kill.end - self.pending_kill.at))
            self.pending_kill = None

    def record(self, kind, at, end, app=None, grace=None):
        disruption = Disruption(kind, at, end, app, grace)
        self.disruptions.append(disruption)
        return disruption

    def cluster_down(self):
        return time.monotonic() < self.partition_until

    def do_delete(self, k):
        app = APPS[k % len(APPS)]
        force = (k + k // len(APPS)) % 2 == 0
        kind = "force delete" if force else "graceful delete"
        if self.cluster_down():
            self.skipped.append((self.now(), kind + " " + app, "partition"))
            return
        at = time.monotonic()
        try:
            pods = self.cluster.request("GET", "/api/v1/namespaces/soak/pods?labelSelector=app%3D" + app)["items"]
            for pod in pods:
                if not pod["metadata"].get("deletionTimestamp"):
                    self.cluster.request("DELETE", "/api/v1/namespaces/soak/pods/%s%s" % (
                        pod["metadata"]["name"], "?gracePeriodSeconds=0" if force else ""))
        except OSError as error:
            self.skipped.append((self.now(), kind + " " + app, str(error)))
            return
        d = self.record(kind, at, time.monotonic(), app, GRACE[app])
        self.push(self.now() + SETTLE_AFTER, 0, "check", d)

    def chaos(self, name, kind):
        if self.cluster_down():
            self.skipped.append((self.now(), kind, "partition"))
            return
        at = time.monotonic()
        try:
            self.cluster.request("POST", "/fake/v1/chaos/" + name)
        except OSError as error:  # a restart may close the connection that asked for it
            log("%s: %s" % (kind, error))
        self.push(self.now() + SETTLE_AFTER, 0, "check", self.record(kind, at, time.monotonic()))

    def do_drop_watches(self, _):
        self.chaos("drop-watches", "drop watches")

    def do_api_restart(self, _):
        self.chaos("restart", "api restart")

    def do_partition(self, _):
        at = time.monotonic()
        self.partition_until = at + PARTITION_SECONDS
        try:
            self.cluster.request("POST", "/fake/v1/chaos/partition?seconds=%d" % PARTITION_SECONDS)
        except OSError as error:
            log("partition: %s" % error)
        d = self.record("partition", at, at + PARTITION_SECONDS)
        self.push(self.now() + PARTITION_SECONDS + SETTLE_AFTER, 0, "check", d)

    def do_veth_flap(self, _):
        if self.veth_skip:
            self.skipped.append((self.now(), "veth flap", self.veth_skip))
            return
        resyncs = self.berth.resyncs
        at = time.monotonic()
        subprocess.run(["ip", "link", "set", VETH, "down"], check=True)
        self.push(self.now() + 2.0, 1, "veth up", (at, resyncs))

    def do_veth_up(self, payload):
        subprocess.run(["ip", "link", "set", VETH, "up"], check=True)
        d = self.record("veth flap", payload[0], time.monotonic())
        self.flaps.append({"disruption": d, "resyncs before": payload[1], "resyncs": None})
        self.push(self.now() + SETTLE_AFTER, 0, "check", d)

    def do_kill_berth(self, _):
        at = time.monotonic()
        self.berth.kill()
        self.berth.start()
        self.pending_kill = self.record("kill berth", at, float("inf"))
        self.push(self.now() + SETTLE_AFTER, 0, "check", self.pending_kill)
        self.push(self.now() + 17.5, 0, "baseline")

    def do_baseline(self, _):
        self.baseline = self.sample()
        log("after warm-up: %d file descriptors, RSS %d kB" % self.baseline)

    def do_check(self, d):
        """Every forward Ready SETTLE_AFTER s after `d` ended, except those of apps deleted since (their own check
        follows) and while the cluster is partitioned or berth is restarting (checked when that ends)."""
        if self.cluster_down() or (self.pending_kill and self.pending_kill is not d):
            return
        since = d.end if d.end != float("inf") else d.at
        later = {x.app for x in self.disruptions if x.app and x is not d and x.at > since}
        bad = {name: phase for name, phase in self.berth.not_ready().items() if self.app_of[name] not in later}
        if len(self.berth.phases) < len(self.app_of):
            bad["(status)"] = ("only %d forwards reported" % len(self.berth.phases), None, None)
        if bad:
            self.violations.append((self.now(), d.kind + (" " + d.app if d.app else ""), bad))
            log("NOT READY %.0f s after %s: %s" % (SETTLE_AFTER, d.kind, bad))
        for flap in self.flaps:
            if flap["disruption"] is d:  # a flap berth saw makes it resync once the network is quiet again
                flap["resyncs"] = self.berth.resyncs - flap["resyncs before"]

    def sample(self):
        self.pool.pause()
        try:
            return self.berth.sample()
        finally:
            self.pool.resume()

    def steady_tail(self):
        """No more disruptions: wait for Ready, let it settle, then count API requests and sample the daemon."""
        if self.pending_kill:
            self.pending_kill.end = time.monotonic()
        self.berth.wait_all_ready(len(self.app_of), 30)
        time.sleep(5)
        self.cluster.reset_stats()
        time.sleep(STEADY_SECONDS)
        self.steady = self.cluster.stats()
        self.final = self.sample()
        self.stopped_at = time.monotonic()
        log("steady state: %d API requests in %.0f s; at the end: %d file descriptors, RSS %d kB" % (
            self.steady["totalAPIRequests"], STEADY_SECONDS, self.final[0], self.final[1]))

    def close(self):
        self.pool.stop()
        self.berth.stop()
        self.berth.write_logs(self.workdir)
        self.cluster.process.stop()
