"""The processes a benchmark runs: fake-kube, `kubectl port-forward`, `berth forward` and `berth up`."""

import base64
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.request

from clients import LOOPBACK, Deadline, free_port, wait_listening


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

    def pod_servers(self):
        """Finds the pod servers' local ports: FakeKube serves no such listing, so this reads the process's
        listening sockets from /proc and asks each what it is (an HTTP pod answers JSON naming itself; a
        `source` pod speaks first). Returns {"http": {pod_name: port}, "source": [port, ...]}."""
        pid = self.process.proc.pid
        inodes = set()
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        ports = []
        with open("/proc/%d/net/tcp" % pid) as f:
            for row in f.readlines()[1:]:
                fields = row.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == "0A" and inode in inodes and local.startswith("0100007F:"):
                    ports.append(int(local.split(":")[1], 16))
        found = {"http": {}, "source": []}
        for port in sorted(set(ports) - {self.port}):
            kind, name = _identify(port)
            if kind == "http" and name:
                found["http"][name] = port
            elif kind == "source":
                found["source"].append(port)
        return found


def _identify(port):
    """Sends a GET: an `http` pod answers JSON naming itself, a `source` pod streams its byte pattern."""
    data = b""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=3) as s:
            s.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            while len(data) < 65536:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
                if data.startswith(b"\x00\x01\x02\x03"):
                    return "source", None
    except OSError:
        pass
    if data.startswith(b"HTTP/1."):
        body = data.split(b"\r\n\r\n", 1)[-1]
        try:
            return "http", json.loads(body).get("pod")
        except ValueError:
            return "http", None
    return None, None


def find_kubectl():
    """kubectl 1.33 (the issue's peer): `kubectl.1.33` on PATH or beside `kubectl`, else `kubectl` itself."""
    for candidate in ("kubectl.1.33",):
        path = shutil.which(candidate)
        if path:
            return path
    plain = shutil.which("kubectl")
    if plain:
        beside = os.path.join(os.path.dirname(os.path.realpath(plain)), "kubectl.1.33")
        if os.access(beside, os.X_OK):
            return beside
        return plain
    return None


def kubectl_forward(kubectl, kubeconfig, namespace, target, remote):
    """`kubectl port-forward` (default tunnel: WebSocket in 1.33); returns (process, local port)."""
    port = free_port()
    process = Process([kubectl, "--kubeconfig", kubeconfig, "-n", namespace, "port-forward", target,
                       "%d:%s" % (port, remote)], name="kubectl")
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
