"""The scenarios of issues 7 and 11. Each returns {peer: {metric: [one value per run]}}, or that and
{peer: transport} when the transport each peer used is part of the result."""

import json
import os
import subprocess
import sys
import time

import clients
from clients import Deadline, free_port, wait_listening
from peers import BerthUp, Process, berth_forward, cpu_seconds, kubectl_forward, manifest, proc_status, write_atomically


def log(message):
    sys.stderr.write("[bench %s] %s\n" % (time.strftime("%H:%M:%S"), message))
    sys.stderr.flush()


def add(results, peer, metric, value):
    results.setdefault(peer, {}).setdefault(metric, []).append(value)


class Context:
    """What every scenario needs: binaries, the cluster, sizes for this mode, a scratch directory."""

    def __init__(self, berth, kubectl, cluster, workdir, quick, runs):
        self.berth, self.kubectl, self.cluster, self.workdir = berth, kubectl, cluster, workdir
        self.quick, self.runs = quick, runs

    def web_pod_port(self):
        """The direct address of the bench web pod (it changes when the pod is replaced)."""
        servers = self.cluster.pod_servers()["http"]
        ports = [port for name, port in servers.items() if name.startswith("web-")]
        if not ports:
            raise RuntimeError("no direct address found for the web pod: %r" % servers)
        return ports[0]

    def wait_web_ready(self, seconds=30):
        """Waits until the bench web Deployment has a Ready pod again (after a deletion)."""
        deadline = Deadline(seconds)
        while not deadline.passed():
            pods = self.cluster.request("GET", "/api/v1/namespaces/bench/pods")["items"]
            ready = [p for p in pods if not p["metadata"].get("deletionTimestamp") and any(
                c.get("type") == "Ready" and c.get("status") == "True" for c in p.get("status", {}).get("conditions", []))]
            if ready:
                return True
            time.sleep(0.1)
        return False


def forwarded(ctx, peer, namespace, target, remote):
    if peer == "kubectl":
        return kubectl_forward(ctx.kubectl, ctx.cluster.kubeconfig, namespace, target, remote)
    return berth_forward(ctx.berth, ctx.cluster.kubeconfig, namespace, target, remote)


def pod_restarts(ctx):
    """1. A request every 50 ms; `kubectl delete pods --all --force` in the middle: failures and recovery."""
    results = {}
    before, after = (1.5, 4.0) if ctx.quick else (2.0, 8.0)
    for run in range(ctx.runs):
        for peer in ("berth", "kubectl"):
            ctx.wait_web_ready()
            process, port = forwarded(ctx, peer, "bench", "svc/web", "80")
            try:
                def delete():
                    subprocess.run([ctx.kubectl, "--kubeconfig", ctx.cluster.kubeconfig, "-n", "bench", "delete",
                                    "pods", "--all", "--force", "--grace-period=0", "--wait=false"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
                failed, recovered = clients.request_loop_across_deletion(port, delete, before, after)
            finally:
                process.stop()
            add(results, peer, "failed requests", failed)
            add(results, peer, "recovery s", recovered)
            log("pod restarts run %d %s: %d failed, recovered after %s s" % (run + 1, peer, failed, recovered))
    ctx.wait_web_ready()
    return results


def throughput(ctx):
    """2. Bytes from the `source` pod through one connection: direct, kubectl, berth (MiB/s)."""
    results = {}
    total = (256 if ctx.quick else 1024) << 20
    direct = ctx.cluster.pod_servers()["source"]
    if not direct:
        raise RuntimeError("no direct address found for the source pod")
    for run in range(ctx.runs):
        rate = clients.read_bytes(direct[0], total)
        add(results, "direct", "MiB/s", rate / (1 << 20))
        for peer in ("kubectl", "berth"):
            process, port = forwarded(ctx, peer, "tools", "pod/source", "7001")
            try:
                rate = clients.read_bytes(port, total, timeout=120)
                add(results, peer, "MiB/s", rate / (1 << 20))
            except OSError as error:
                add(results, peer, "MiB/s", None)
                log("throughput %s failed: %s" % (peer, error))
            finally:
                process.stop()
        log("throughput run %d: %s" % (run + 1, {p: round(v["MiB/s"][-1] or 0) for p, v in results.items()}))
    return results


def latency(ctx):
    """3. Sequential GETs, each on a new connection: p50 and p99 — direct, kubectl, berth warm and not warm."""
    results = {}
    count = 300 if ctx.quick else 2000
    budget = 60 if ctx.quick else 300
    for run in range(ctx.runs):
        p50, p99, errors = clients.sequential_latency(ctx.web_pod_port(), count, budget)
        add(results, "direct", "p50 ms", p50)
        add(results, "direct", "p99 ms", p99)
        for peer in ("kubectl", "berth"):
            process, port = forwarded(ctx, peer, "bench", "svc/web", "80")
            try:
                p50, p99, errors = clients.sequential_latency(port, count, budget)
            finally:
                process.stop()
            add(results, peer, "p50 ms", p50)
            add(results, peer, "p99 ms", p99)
            add(results, peer, "errors", errors)
        # berth without warm streams: every connection waits for its own port-forward upgrade.
        path = os.path.join(ctx.workdir, "cold.yaml")
        port = free_port()
        write_atomically(path, manifest([("web", "bench", "web", port, "80")], warm=0))
        up = BerthUp(ctx.berth, ctx.cluster.kubeconfig, path)
        try:
            if up.wait_all_ready(1, 30) is None or not wait_listening(port, 10):
                raise RuntimeError("berth up (warm 0) did not become ready: " + up.process.tail())
            p50, p99, errors = clients.sequential_latency(port, count, budget)
        finally:
            up.stop()
        add(results, "berth (warm 0)", "p50 ms", p50)
        add(results, "berth (warm 0)", "p99 ms", p99)
        add(results, "berth (warm 0)", "errors", errors)
        log("latency run %d: %s" % (run + 1, {p: round(v["p50 ms"][-1] or 0, 2) for p, v in results.items()}))
    return results


def berth_status(berth, manifest_path):
    """`berth status -o json` for the daemon serving `manifest_path` (its control socket); None while none serves it."""
    out = subprocess.run([berth, "status", "-f", manifest_path, "-o", "json"], capture_output=True, text=True,
                         timeout=15, stdin=subprocess.DEVNULL)
    if out.returncode not in (0, 1):  # 3: no daemon (yet); anything else is a failure of its own
        return None
    return json.loads(out.stdout)


def wait_ready_by_status(ctx, up, manifest_path, count, seconds, interval=0.05):
    """Polls the daemon's status until `count` forwards are Ready: (seconds since `berth up` started or None, Ready
    forwards at the last reply).

    Polled, not `--watch`ed: a watch would print the whole document on every one of the 1,000 changes and load the
    daemon being measured. The figure is when the reply saying "all Ready" arrived, so it overstates the truth by
    at most one interval plus one `berth status` round trip."""
    deadline = Deadline(seconds)
    ready = 0
    while not deadline.passed() and up.process.alive():
        status = berth_status(ctx.berth, manifest_path)
        if status:
            ready = sum(1 for forward in status.get("forwards", []) if forward.get("phase") == "Ready")
            if ready >= count:
                return time.monotonic() - up.started, ready
        time.sleep(interval)
    return None, ready


def load_forwards(count, base_port=None):
    """`count` forwards spread over the five load namespaces, each to that namespace's Service `app`."""
    return [("f%d" % i, "load-%d" % (i % 5), "app", 0 if base_port is None else base_port + i, "80")
            for i in range(count)]


def api_load(ctx):
    """4. 50 forwards over 5 namespaces, idle: API requests counted by FakeKube — berth next to 5 s polling."""
    results = {}
    idle = 15 if ctx.quick else 60
    path = os.path.join(ctx.workdir, "fifty.yaml")
    write_atomically(path, manifest(load_forwards(50)))
    for run in range(1 if ctx.quick else min(ctx.runs, 3)):
        up = BerthUp(ctx.berth, ctx.cluster.kubeconfig, path)
        try:
            if up.wait_all_ready(50, 60) is None:
                raise RuntimeError("berth up with 50 forwards did not become ready: " + up.process.tail())
            time.sleep(2)  # let the warm streams of the start-up settle: they are not steady-state traffic
            ctx.cluster.reset_stats()
            time.sleep(idle)
            stats = ctx.cluster.stats()
        finally:
            up.stop()
        add(results, "berth", "API requests", stats["totalAPIRequests"])
        add(results, "berth", "requests/min", stats["totalAPIRequests"] * 60.0 / idle)
        log("api load berth: %s" % stats["requests"])
        # The baseline: what a tool that polls every 5 s does — per forward, list the target's pods.
        ctx.cluster.reset_stats()
        deadline = Deadline(idle)
        polls = 0
        while not deadline.passed():
            began = time.monotonic()
            for name, namespace, service, _, _ in load_forwards(50):
                ctx.cluster.request("GET", "/api/v1/namespaces/%s/pods?labelSelector=app%%3Dapp" % namespace)
            polls += 1
            time.sleep(max(0.0, min(deadline.left(), 5.0 - (time.monotonic() - began))))
        stats = ctx.cluster.stats()
        add(results, "polling 5 s", "API requests", stats["totalAPIRequests"])
        add(results, "polling 5 s", "requests/min", stats["totalAPIRequests"] * 60.0 / idle)
        log("api load polling: %d requests in %d polls" % (stats["totalAPIRequests"], polls))
    return results


def scale(ctx):
    """5. 1,000 forwards from cold start to all Ready: time, peak RSS, idle CPU afterwards."""
    results = {}
    count = 1000
    idle = 5 if ctx.quick else 10
    path = os.path.join(ctx.workdir, "thousand.yaml")
    write_atomically(path, manifest(load_forwards(count)))
    for run in range(1 if ctx.quick else ctx.runs):
        up = BerthUp(ctx.berth, ctx.cluster.kubeconfig, path)
        try:
            elapsed, ready = wait_ready_by_status(ctx, up, path, count, 45 if ctx.quick else 120)
            if elapsed is None:
                log("scale: only %d of %d Ready: %s" % (ready, count, up.process.tail(2)))
            pid = up.process.proc.pid
            time.sleep(1)  # the warm streams opened on Ready finish their upgrades
            before = cpu_seconds(pid)
            time.sleep(idle)
            cpu = (cpu_seconds(pid) - before) / idle * 100
            rss = proc_status(pid, "VmHWM")
            # What the API server carries for 1,000 idle forwards: its open connections (the sessions to the
            # pods in use plus the watches, if berth shares sessions) and the streams inside them.
            stats = ctx.cluster.stats()
        finally:
            up.stop()
        add(results, "berth", "all Ready s", elapsed)
        add(results, "berth", "peak RSS MB", rss / 1024.0 if rss else None)
        add(results, "berth", "idle CPU %", cpu)
        add(results, "berth", "API connections", stats["openConnections"])
        add(results, "berth", "watches", stats["openWatches"])
        add(results, "berth", "port-forward sessions", stats["portForward"]["openSessions"])
        add(results, "berth", "port-forward streams", stats["portForward"]["openStreams"])
        log("scale run %d: ready in %s s, %s MB, %.2f%% CPU, %d API connections (%d watches, %d sessions, %d streams)" % (
            run + 1, elapsed, rss and rss // 1024, cpu, stats["openConnections"], stats["openWatches"],
            stats["portForward"]["openSessions"], stats["portForward"]["openStreams"]))
    return results


def edit(ctx):
    """6. Time from saving a manifest edit (rename over the file) to the new listener accepting."""
    results = {}
    path = os.path.join(ctx.workdir, "edit.yaml")
    base = [("web", "bench", "web", 0, "80")]
    write_atomically(path, manifest(base))
    up = BerthUp(ctx.berth, ctx.cluster.kubeconfig, path)
    try:
        if up.wait_all_ready(1, 30) is None:
            raise RuntimeError("berth up did not become ready: " + up.process.tail())
        for run in range(max(ctx.runs, 3)):
            port = free_port()
            started = time.monotonic()
            write_atomically(path, manifest(base + [("added%d" % run, "bench", "web", port, "80")]))
            accepted = wait_listening(port, 10)
            add(results, "berth", "converged ms", (time.monotonic() - started) * 1000 if accepted else None)
            write_atomically(path, manifest(base))
            time.sleep(0.5)  # let the removal converge before the next edit
    finally:
        up.stop()
    log("edit: %s" % results["berth"]["converged ms"])
    return results


def concurrency(ctx):
    """7. 200 clients at once, each making N GETs on new connections: errors and p99 — berth and kubectl."""
    results = {}
    clients_count = 200
    each = 10 if ctx.quick else 50
    budget = 60 if ctx.quick else 180
    for run in range(1 if ctx.quick else ctx.runs):
        for peer in ("berth", "kubectl"):
            ctx.wait_web_ready()
            process, port = forwarded(ctx, peer, "bench", "svc/web", "80")
            try:
                errors, p99, first = clients.concurrent_clients(port, clients_count, each, budget)
            finally:
                process.stop()
            add(results, peer, "errors", errors)
            add(results, peer, "p99 ms", p99)
            log("concurrency run %d %s: %d errors of %d, p99 %s ms%s" % (
                run + 1, peer, errors, clients_count * each, p99 and round(p99, 1),
                (" (first: %s)" % first) if first else ""))
    return results


def round_trip(ctx, milliseconds=40):
    """8. New connections behind a 40 ms round trip (FakeKube's round-trip chaos, on every API connection both
    ways): sequential GETs and bursts of 6 at once, each GET on a new connection, as a new user tries it (each
    peer freshly started, its defaults) — berth, kubectl. Also returns the transport each peer used."""
    results, transports = {}, {}
    count = 30 if ctx.quick else 200
    burst_count = 10 if ctx.quick else 50
    budget = 60 if ctx.quick else 240
    ctx.cluster.request("POST", "/fake/v1/chaos/round-trip?milliseconds=%d" % milliseconds)
    try:
        for run in range(ctx.runs):
            for peer in ("kubectl", "berth"):
                ctx.wait_web_ready()
                ctx.cluster.reset_stats()
                path = None
                if peer == "kubectl":
                    process, port = kubectl_forward(ctx.kubectl, ctx.cluster.kubeconfig, "bench", "svc/web", "80")
                    stop = process.stop
                else:
                    # `berth up`, not `berth forward`: its status names the transport auto negotiated.
                    path = os.path.join(ctx.workdir, "round-trip.yaml")
                    port = free_port()
                    write_atomically(path, manifest([("web", "bench", "web", port, "80")]))
                    up = BerthUp(ctx.berth, ctx.cluster.kubeconfig, path)
                    stop = up.stop
                    if up.wait_all_ready(1, 60) is None or not wait_listening(port, 30):
                        up.stop()
                        raise RuntimeError("berth up did not become ready behind %d ms: %s" % (milliseconds, up.process.tail()))
                try:
                    p50, p99, errors = clients.sequential_latency(port, count, budget)
                    burst_p50, burst_p99, burst_errors = clients.bursts(port, 6, burst_count, budget)
                    if path:
                        status = berth_status(ctx.berth, path) or {}
                        transports[peer] = (status.get("forwards") or [{}])[0].get("transport") or "?"
                    else:
                        # kubectl does not say; FakeKube's counts tell whether its connections shared sessions
                        # (its 1.33 default, the WebSocket tunnel carrying SPDY) or each had its own (v4).
                        sessions = ctx.cluster.stats().get("portForward", {}).get("totalSessions", 0)
                        transports[peer] = "websocket-spdy" if sessions < count else "websocket"
                finally:
                    stop()
                add(results, peer, "sequential p50 ms", p50)
                add(results, peer, "sequential p99 ms", p99)
                add(results, peer, "burst of 6 p50 ms", burst_p50)
                add(results, peer, "burst of 6 p99 ms", burst_p99)
                add(results, peer, "errors", errors + burst_errors)
            log("round-trip run %d: %s" % (run + 1, {p: (round(v["sequential p50 ms"][-1] or 0, 1),
                                                        round(v["burst of 6 p50 ms"][-1] or 0, 1)) for p, v in results.items()}))
    finally:
        ctx.cluster.request("POST", "/fake/v1/chaos/round-trip?milliseconds=0")
    return results, transports


def tunnel_bulk(ctx):
    """9. A check more than a race: 64 MiB each way through one connection over the WebSocket tunnel entry
    (`berth forward --transport websocket-spdy` to the tools pod's echo port), compared byte for byte (SHA-256
    of what was sent and what came back). Fails the scenario on any difference. Too slow for the debug-built
    test suite, which echoes 8 MiB over the tunnel and 64 MiB over the SPDY upgrade (SPDYSessionTests)."""
    results = {}
    total = 64 << 20
    for run in range(ctx.runs):
        port = free_port()
        process = Process([ctx.berth, "forward", "--kubeconfig", ctx.cluster.kubeconfig, "-n", "tools", "--transport",
                           "websocket-spdy", "pod/source", "%d:7000" % port], name="berth")
        try:
            if not process.wait_for(lambda out, err: any("Forwarding from" in line for line in out), 30):
                raise RuntimeError("berth forward --transport websocket-spdy did not become Ready: " + process.tail())
            seconds, exact = clients.echo_exact(port, total)
        finally:
            process.stop()
        if not exact:
            raise RuntimeError("64 MiB echoed over the tunnel came back different (run %d)" % (run + 1))
        add(results, "berth", "MiB/s each way", (total / (1 << 20)) / seconds)
        log("tunnel bulk run %d: 64 MiB each way byte-exact in %.2f s" % (run + 1, seconds))
    return results, {"berth": "websocket-spdy"}


SCENARIOS = [
    (1, "Pod restarts (request every 50 ms, delete pods --all --force)", pod_restarts),
    (2, "Throughput, one connection", throughput),
    (3, "New-connection latency, sequential GETs", latency),
    (4, "API load, 50 forwards idle", api_load),
    (5, "Scale, 1,000 forwards", scale),
    (6, "Edit to converged", edit),
    (7, "Concurrency, 200 clients on new connections", concurrency),
    (8, "New connections behind a 40 ms round trip", round_trip),
    (9, "64 MiB each way byte-exact over the WebSocket tunnel (check)", tunnel_bulk),
]
