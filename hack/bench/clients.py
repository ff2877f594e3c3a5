"""The benchmark's client side: HTTP requests on fresh connections, bulk reads, bounded waits. Loopback only."""

import hashlib
import random
import socket
import threading
import time

LOOPBACK = "127.0.0.1"


class Deadline:
    """A monotonic deadline: every wait in the harness is bounded by one."""

    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self):
        return max(0.0, self.end - time.monotonic())

    def passed(self):
        return time.monotonic() >= self.end


def free_port():
    """A port that was free a moment ago (the kernel picks it; the caller binds it soon after)."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def wait_listening(port, seconds):
    """Polls until something accepts on the port (there is no event to wait for from outside a process)."""
    deadline = Deadline(seconds)
    while not deadline.passed():
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.005)
    return False


def http_reply(port, timeout=15.0):
    """One GET / on a new connection; returns the whole reply, raises on any failure or an answer other than 200."""
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        data = bytearray()
        while len(data) < 65536:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    if not data.startswith(b"HTTP/1.") or b" 200 " not in data[:16]:
        raise OSError("bad reply: %r" % bytes(data[:40]))
    return bytes(data)


def http_get(port, timeout=15.0):
    """One GET / on a new connection; returns the latency in seconds, raises on any failure."""
    start = time.perf_counter()
    http_reply(port, timeout)
    return time.perf_counter() - start


def read_bytes(port, total, timeout=60.0):
    """Reads `total` bytes from a server that streams (the `source` pod); returns bytes per second."""
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        buffer = bytearray(1 << 20)
        view = memoryview(buffer)
        got = 0
        start = time.perf_counter()
        while got < total:
            n = s.recv_into(view, min(len(buffer), total - got))
            if n == 0:
                raise OSError("stream ended after %d of %d bytes" % (got, total))
            got += n
        return total / (time.perf_counter() - start)


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(p / 100.0 * (len(ordered) - 1)))))
    return ordered[index]


def sequential_latency(port, count, seconds):
    """`count` GETs one after another, each on a new connection, within `seconds`: (p50 ms, p99 ms, errors)."""
    deadline = Deadline(seconds)
    latencies, errors = [], 0
    for _ in range(count):
        if deadline.passed():
            break
        try:
            latencies.append(http_get(port, timeout=min(15.0, deadline.left() + 0.1)))
        except OSError:
            errors += 1
    errors += count - len(latencies) - errors  # requests never made for lack of time count as errors
    return (percentile(latencies, 50) * 1000 if latencies else None,
            percentile(latencies, 99) * 1000 if latencies else None, errors)


def concurrent_clients(port, clients, each, seconds):
    """`clients` threads at once, each making `each` GETs on new connections: (errors, p99 ms, first error)."""
    deadline = Deadline(seconds)
    lock = threading.Lock()
    latencies, errors, first = [], [0], [None]
    barrier = threading.Barrier(clients)

    def client():
        try:
            barrier.wait(timeout=30)
        except threading.BrokenBarrierError:
            pass
        mine = []
        failed = 0
        for _ in range(each):
            if deadline.passed():
                failed += 1
                continue
            try:
                mine.append(http_get(port, timeout=min(15.0, deadline.left() + 0.1)))
            except OSError as error:
                failed += 1
                with lock:
                    first[0] = first[0] or str(error)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=deadline.left() + 20)
    p99 = percentile(latencies, 99)
    return errors[0], (p99 * 1000 if p99 is not None else None), first[0]


def echo_exact(port, total, timeout=120.0):
    """Sends `total` pseudo-random bytes on one connection while reading the echo back, then half-closes; returns
    (seconds, whether every byte came back in order). Both directions run at once, so neither side's buffers fill."""
    chunk = random.Random(total).randbytes(1 << 20)
    sent_hash, got_hash = hashlib.sha256(), hashlib.sha256()
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as s:
        failure = []

        def send():
            try:
                left = total
                while left > 0:
                    piece = chunk[:min(len(chunk), left)]
                    s.sendall(piece)
                    sent_hash.update(piece)
                    left -= len(piece)
                s.shutdown(socket.SHUT_WR)
            except OSError as error:
                failure.append(error)

        start = time.perf_counter()
        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        got = 0
        buffer = bytearray(1 << 20)
        view = memoryview(buffer)
        while got < total:
            n = s.recv_into(view, min(len(buffer), total - got))
            if n == 0:
                break
            got_hash.update(view[:n])
            got += n
        sender.join(timeout)
        elapsed = time.perf_counter() - start
    if failure:
        raise failure[0]
    return elapsed, got == total and sent_hash.digest() == got_hash.digest()


def bursts(port, size, count, seconds, pause=0.5):
    """`count` bursts of `size` GETs at once, each on a new connection (a browser opening a page), `pause` s apart:
    (p50 ms and p99 ms of the time until a burst's last answer, errors)."""
    deadline = Deadline(seconds)
    durations, errors = [], 0
    for _ in range(count):
        if deadline.passed():
            errors += size
            continue
        failed = [0]
        lock = threading.Lock()

        def get():
            try:
                http_get(port, timeout=min(15.0, deadline.left() + 0.1))
            except OSError:
                with lock:
                    failed[0] += 1

        threads = [threading.Thread(target=get, daemon=True) for _ in range(size)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=deadline.left() + 20)
        if failed[0] == 0:
            durations.append(time.perf_counter() - start)
        errors += failed[0]
        time.sleep(pause)  # a page, then reading it: warm pools refill in between, as they would
    return (percentile(durations, 50) * 1000 if durations else None,
            percentile(durations, 99) * 1000 if durations else None, errors)


def request_loop_across_deletion(port, delete, before, after, interval=0.05):
    """A GET every `interval` s; `delete()` runs `before` s in; the loop goes on `after` s more.

    Returns (failed requests after the deletion, seconds from the deletion to the next success or None)."""
    start = time.monotonic()
    deleted_at = None
    failed_after = 0
    recovered = None
    end = start + before + after
    while time.monotonic() < end:
        began = time.monotonic()
        if deleted_at is None and began - start >= before:
            delete()
            deleted_at = time.monotonic()
        try:
            http_get(port, timeout=max(0.1, min(15.0, end - began)))
            if deleted_at is not None and recovered is None and began >= deleted_at:
                recovered = time.monotonic() - deleted_at
        except OSError:
            if deleted_at is not None:
                failed_after += 1
        time.sleep(max(0.0, interval - (time.monotonic() - began)))
    return failed_after, recovered
