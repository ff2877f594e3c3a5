"""The processes a benchmark runs: fake-kube, `kubectl port-forward`, `berth forward` and `berth up`."""

import base64
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import threading
import time
import urllib.request

from clients import Deadline, free_port, wait_listening


class Process:
    """A child process whose stdout and stderr lines are collected by threads (so its pipes never fill)."""

    def __init__(self, argv, env=None, name=None):
        self.name = name or os.path.basename(argv[0])
        self.lines = []
        self.errors = []
        self.condition = threading.Condition()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                     stdin=subprocess.DEVNULL, text=True, bufsize=1)
        threading.Thread(target=self._drain, args=(self.proc.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._drain, args=(self.proc.stderr, self.errors), daemon=True).start()

    def _drain(self, stream, into):
        for line in stream:
            with self.condition:
                into.append(line.rstrip("\n"))
                self.condition.notify_all()
        with self.condition:
            self.condition.notify_all()

    def wait_for(self, predicate, seconds):
        """Waits until predicate(stdout lines, stderr lines) is true, the process exits, or `seconds` pass."""
        deadline = Deadline(seconds)
        with self.condition:
            while True:
                result = predicate(self.lines, self.errors)
                if result:
                    return result
                if self.proc.poll() is not None or deadline.passed():
                    return None
                self.condition.wait(timeout=min(0.2, deadline.left()))

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def tail(self, count=5):
        return " | ".join((self.lines + self.errors)[-count:])


class FakeKube:
    """`fake-kube serve` with the bench scenario; the admin token and CA come from the kubeconfig it writes."""

    def __init__(self, binary, scenario, workdir):
        self.kubeconfig = os.path.join(workdir, "kubeconfig")
        self.process = Process([binary, "serve", "--scenario", scenario, "--kubeconfig-out", self.kubeconfig],
                               name="fake-kube")
        ready = self.process.wait_for(lambda out, err: next((l for l in out if l.startswith("ready ")), None), 60)
        if not ready:
            raise RuntimeError("fake-kube did not become ready: " + self.process.tail())
        self.url = ready.split()[1]
        self.port = int(self.url.rsplit(":", 1)[1])
        text = open(self.kubeconfig).read()
        ca = base64.b64decode(re.search(r"certificate-authority-data: (\S+)", text).group(1))
        self.token = re.search(r"token: (\S+)", text).group(1)  # the first token is admin-token's
        self.ca_path = os.path.join(workdir, "ca.pem")
        with open(self.ca_path, "wb") as f:
            f.write(ca)
        self.context = ssl.create_default_context(cafile=self.ca_path)

    def request(self, method, path, timeout=15):
        req = urllib.request.Request(self.url + path, method=method,
                                     headers={"Authorization": "Bearer " + self.token})
        with urllib.request.urlopen(req, context=self.context, timeout=timeout) as response:
            return json.loads(response.read() or b"{}")

    def stats(self):
        return self.request("GET", "/fake/v1/stats")

    def reset_stats(self):
        self.request("POST", "/fake/v1/stats/reset")

    def pods(self, namespace=None):
        """`GET /fake/v1/pods`: every pod with, per container port, its behaviour and local `127.0.0.1:PORT`."""
        return self.request("GET", "/fake/v1/pods" + ("?namespace=" + namespace if namespace else ""))["items"]

    def pod_servers(self):
        """The pods' real servers, for the direct peer: {"http": {pod_name: port}, "source": [port, ...]}."""
        found = {"http": {}, "source": []}
        for pod in self.pods():
            for port in pod["ports"]:
                if not port["local"] or pod["terminating"]:
                    continue
                local = int(port["local"].rsplit(":", 1)[1])
                if port["behaviour"] == "http":
                    found["http"][pod["name"]] = local
                elif port["behaviour"] == "source":
                    found["source"].append(local)
        return found


KUBECTL_DIRS = ["/usr/lib/google-cloud-sdk/bin", "/usr/local/bin"]


def find_kubectl(version="1.33"):
    """`kubectl.VERSION` on PATH, beside `kubectl` or in the SDK's directory; for 1.33 (the issue's peer) plain
    `kubectl` when no versioned binary exists. None when there is none."""
    candidate = "kubectl." + version
    path = shutil.which(candidate)
    if path:
        return path
    plain = shutil.which("kubectl")
    dirs = ([os.path.dirname(os.path.realpath(plain))] if plain else []) + KUBECTL_DIRS
    for directory in dirs:
        beside = os.path.join(directory, candidate)
        if os.access(beside, os.X_OK):
            return beside
    return plain if version == "1.33" else None


def kubectl_forward(kubectl, kubeconfig, namespace, target, remote, env=None):
    """`kubectl port-forward` (default tunnel: WebSocket in 1.33; `env` may switch it); returns (process, local
    port)."""
    port = free_port()
    process = Process([kubectl, "--kubeconfig", kubeconfig, "-n", namespace, "port-forward", target,
                       "%d:%s" % (port, remote)], env=env, name="kubectl")
    if not process.wait_for(lambda out, err: any("Forwarding from" in l for l in out), 30):
        process.stop()
        raise RuntimeError("kubectl port-forward did not start: " + process.tail())
    return process, port


def berth_forward(berth, kubeconfig, namespace, target, remote):
    """`berth forward`; returns (process, local port) once it prints `Forwarding from` (Ready)."""
    port = free_port()
    process = Process([berth, "forward", "--kubeconfig", kubeconfig, "-n", namespace, target,
                       "%d:%s" % (port, remote)], name="berth")
    if not process.wait_for(lambda out, err: any("Forwarding from" in l for l in out), 30):
        process.stop()
        raise RuntimeError("berth forward did not become Ready: " + process.tail())
    return process, port


def manifest(forwards, warm=None):
    """A berth manifest; forwards are (name, namespace, service, local port, remote port)."""
    lines = ["apiVersion: berth/v1", "kind: Forwards"]
    if warm is not None:
        lines += ["defaults:", "  warm: %d" % warm]
    lines.append("forwards:")
    for name, namespace, service, local, remote in forwards:
        lines.append("  - {name: %s, namespace: %s, service: %s, ports: [{local: %d, remote: %s}]}"
                     % (name, namespace, service, local, remote))
    return "\n".join(lines) + "\n"


def write_atomically(path, text):
    """Saves the way editors do: a new file renamed over the old one."""
    temporary = path + ".tmp"
    with open(temporary, "w") as f:
        f.write(text)
    os.replace(temporary, path)


class BerthUp:
    """`berth up -f MANIFEST` (not on a terminal, so it logs at info level to stderr)."""

    ENDPOINT = re.compile(r"forward=(\S+).*endpoint chosen|endpoint chosen.*forward=(\S+)")

    def __init__(self, berth, kubeconfig, manifest_path):
        self.process = Process([berth, "up", "-f", manifest_path, "--kubeconfig", kubeconfig], name="berth up")
        self.started = time.monotonic()

    def endpoints_chosen(self):
        names = set()
        for line in self.process.errors:
            if "endpoint chosen" in line:
                match = re.search(r"forward=([^\s\]]+)", line)
                if match:
                    names.add(match.group(1))
        return names

    def wait_all_ready(self, count, seconds):
        """Waits until `count` forwards have chosen an endpoint; returns seconds since start, or None."""
        done = self.process.wait_for(lambda out, err: len(self.endpoints_chosen()) >= count, seconds)
        return (time.monotonic() - self.started) if done else None

    def stop(self):
        self.process.stop()


def proc_status(pid, field):
    """A field of /proc/PID/status in kB (VmHWM: peak RSS)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


__all__ = ["Process", "FakeKube", "find_kubectl", "kubectl_forward", "berth_forward", "manifest",
           "write_atomically", "BerthUp", "proc_status", "cpu_seconds", "wait_listening"]
