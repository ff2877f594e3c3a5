"""The soak's clients: threads making new connections (one HTTP GET each) and long-lived echo connections, and
the record of every attempt that failed. Loopback only; every wait is bounded."""

import json
import socket
import threading
import time

from clients import LOOPBACK, http_reply


class Attempt:
    """A failed new connection: which forward, when it began and ended, and what went wrong."""

    def __init__(self, forward, began, ended, error):
        self.forward, self.began, self.ended, self.error = forward, began, ended, error


class LongLived:
    """One long-lived echo connection: when it was made, every echo that came back, how and when it ended."""

    def __init__(self, forward, connected):
        self.forward, self.connected = forward, connected
        self.echoes = []
        self.ended = None
        self.error = None

    def last_ok(self):
        return self.echoes[-1] if self.echoes else self.connected


def get_pod(port, timeout):
    """One GET / on a new connection to a FakeKube `http` pod; returns the pod name it answered from."""
    data = http_reply(port, timeout)
    try:
        return json.loads(data.split(b"\r\n\r\n", 1)[1])["pod"]
    except (ValueError, KeyError, IndexError):
        raise OSError("reply without a pod name: %r" % data[-60:])


class Pool:
    """`clients` threads each opening a new connection every `interval` s, round robin over the HTTP forwards
    (each answer must come from a pod of that forward's app), and one long-lived connection per echo forward that
    echoes a line every half second and is made again when it ends."""

    def __init__(self, http, echo, clients, interval, timeout=15.0):
        self.http, self.echo = http, echo  # {forward name: (app, local port)}
        self.clients, self.interval, self.timeout = clients, interval, timeout
        self.stop_event = threading.Event()
        self.running = threading.Event()  # cleared while paused (to count file descriptors without transients)
        self.running.set()
        self.lock = threading.Lock()
        self.made = 0
        self.failed = []
        self.long_lived = []
        self.threads = []

    def start(self):
        for index in range(self.clients):
            self.threads.append(threading.Thread(target=self._new_connections, args=(index,), daemon=True))
        for name in self.echo:
            self.threads.append(threading.Thread(target=self._long_lived, args=(name,), daemon=True))
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stop_event.set()
        self.running.set()
        for thread in self.threads:
            thread.join(timeout=self.timeout + 5)

    def pause(self):
        """Stops new connections (long-lived ones go on) and waits until the ones in flight are done."""
        self.running.clear()
        time.sleep(0.5)  # longer than a GET takes when nothing is disrupted; the caller samples afterwards

    def resume(self):
        self.running.set()

    def _new_connections(self, index):
        names = sorted(self.http)
        turn = index
        while not self.stop_event.is_set():
            self.running.wait()
            name = names[turn % len(names)]
            turn += 1
            app, port = self.http[name]
            began = time.monotonic()
            try:
                pod = get_pod(port, self.timeout)
                if not pod.startswith(app + "-"):
                    raise OSError("answered by pod %s, not a pod of %s" % (pod, app))
                with self.lock:
                    self.made += 1
            except OSError as error:
                with self.lock:
                    self.made += 1
                    self.failed.append(Attempt(name, began, time.monotonic(), str(error) or type(error).__name__))
            self.stop_event.wait(max(0.0, self.interval - (time.monotonic() - began)))

    def _long_lived(self, name):
        app, port = self.echo[name]
        serial = 0
        while not self.stop_event.is_set():
            began = time.monotonic()
            try:
                s = socket.create_connection((LOOPBACK, port), timeout=self.timeout)
            except OSError as error:
                with self.lock:
                    self.failed.append(Attempt(name, began, time.monotonic(), "connect: %s" % error))
                self.stop_event.wait(0.2)
                continue
            connection = LongLived(name, began)
            with self.lock:
                self.long_lived.append(connection)
            try:
                with s:
                    s.settimeout(5.0)
                    while not self.stop_event.is_set():
                        line = ("%s %010d\n" % (name, serial)).encode()
                        serial += 1
                        s.sendall(line)
                        got = bytearray()
                        while len(got) < len(line):
                            chunk = s.recv(len(line) - len(got))
                            if not chunk:
                                raise OSError("closed after %d echoes" % len(connection.echoes))
                            got += chunk
                        if bytes(got) != line:
                            raise OSError("echo differs: %r" % bytes(got))
                        connection.echoes.append(time.monotonic())
                        self.stop_event.wait(0.5)
            except OSError as error:
                connection.error = str(error) or type(error).__name__
                connection.ended = time.monotonic()
                self.stop_event.wait(0.2)
