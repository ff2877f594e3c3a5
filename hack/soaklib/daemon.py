"""The berth side of the soak: `berth up` (killed with SIGKILL and started again once), its log with a time on
every line, and `berth status --watch -o json` followed for every forward's phase."""

import json
import os
import re
import signal
import subprocess
import threading
import time

from peers import Process, proc_status


class TimedProcess(Process):
    """A Process that also keeps the monotonic time each line arrived."""

    def __init__(self, argv, env=None, name=None):
        self.stamped = []
        super().__init__(argv, env=env, name=name)

    def _drain(self, stream, into):
        for line in stream:
            with self.condition:
                into.append(line.rstrip("\n"))
                self.stamped.append((time.monotonic(), line.rstrip("\n")))
                self.condition.notify_all()
        with self.condition:
            self.condition.notify_all()


class Berth:
    """`berth up -f MANIFEST` in its own runtime directory, and `berth status --watch -o json` beside it."""

    FORWARD = re.compile(r"forward=([^\s\]]+)")

    def __init__(self, binary, manifest, kubeconfig, runtime_dir):
        self.binary, self.manifest, self.kubeconfig = binary, manifest, kubeconfig
        os.makedirs(runtime_dir, mode=0o700, exist_ok=True)
        self.env = dict(os.environ, XDG_RUNTIME_DIR=runtime_dir)
        self.lives = []  # every `berth up` process, the killed one first
        self.lock = threading.Lock()
        self.phases = {}  # forward name -> (phase, reason, message), as the last status document said
        self.resyncs = 0
        self.history = []  # (time, forward, phase, reason, message) on every change seen by the status watch
        self.stopping = threading.Event()
        self.start()
        threading.Thread(target=self._watch, daemon=True).start()

    @property
    def process(self):
        return self.lives[-1]

    def start(self):
        self.lives.append(TimedProcess([self.binary, "up", "-f", self.manifest, "--kubeconfig", self.kubeconfig],
                                       env=self.env, name="berth up"))

    def kill(self):
        """SIGKILL, as a crash or the OOM killer would; the next start must clean up after it."""
        self.process.proc.send_signal(signal.SIGKILL)
        self.process.proc.wait(timeout=10)
        with self.lock:
            self.phases = {}  # what the dead daemon said no longer holds; the next one's status fills it again

    def stop(self):
        self.stopping.set()
        self.process.stop()

    def all_ready(self, count):
        with self.lock:
            return len(self.phases) >= count and all(p[0] == "Ready" for p in self.phases.values())

    def wait_all_ready(self, count, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.all_ready(count):
                return True
            time.sleep(0.05)
        return False

    def not_ready(self):
        with self.lock:
            return {name: phase for name, phase in self.phases.items() if phase[0] != "Ready"}

    def sample(self):
        """(open file descriptors, RSS in kB) of the running `berth up`."""
        pid = self.process.proc.pid
        return len(os.listdir("/proc/%d/fd" % pid)), proc_status(pid, "VmRSS")

    def failed_lines(self):
        """(time, forward, line) for every `forward Failed` transition berth logged, in every life."""
        found = []
        for life in self.lives:
            with life.condition:
                lines = list(life.stamped)
            for at, line in lines:
                if "forward Failed" in line:
                    match = self.FORWARD.search(line)
                    found.append((at, match.group(1) if match else "?", line))
        return found

    def _watch(self):
        """Follows `berth status --watch -o json`, started again whenever it ends (berth killed or restarting)."""
        while not self.stopping.is_set():
            process = subprocess.Popen([self.binary, "status", "-f", self.manifest, "--watch", "-o", "json"],
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                       env=self.env, text=True, bufsize=1)
            block = []
            for line in process.stdout:
                block.append(line)
                if line.rstrip("\n") == "}":  # the pretty-printed document's last line
                    self._seen(json.loads("".join(block)))
                    block = []
            process.wait()
            self.stopping.wait(0.3)

    def _seen(self, document):
        now = time.monotonic()
        with self.lock:
            self.resyncs = document.get("resyncs") or 0
            for forward in document.get("forwards", []):
                state = (forward["phase"], forward.get("reason"), forward.get("message"))
                if self.phases.get(forward["name"]) != state:
                    self.phases[forward["name"]] = state
                    self.history.append((now, forward["name"]) + state)

    def write_logs(self, directory):
        for index, life in enumerate(self.lives):
            with open(os.path.join(directory, "berth-up-%d.log" % index), "w") as f:
                f.write("\n".join(life.lines + life.errors) + "\n")
