#!/usr/bin/env python3
"""Instance start time and memory on a cell: in a runc container vs as a bare process.

Runs the real `cell` binary twice (--isolation container, then --isolation none) against a
small scheduler stand-in in this script (it records the cell's reports and serves one droplet),
starts the same instance N times on each and prints, per mode, the median and p90 of the time
from POST /work to the cell's `start` report (claim, droplet from the cell's cache after the
first, unpack, container or process, port health check passing), and the resident memory the
instance adds on the host (every process of its container or group, runc included).

    sudo bench/cell/instance_start.py [--runs 20] [--build build]

Needs root (containers) and runc; loopback only; every wait is bounded.
"""
import argparse, base64, hashlib, hmac, http.server, io, json, os, socket, statistics
import subprocess, sys, tarfile, tempfile, threading, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def droplet_bytes():
    """A droplet whose start command is a tiny Python HTTP server on $PORT."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        def add(name, text, mode=0o644):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
        add("staging_info.yml", json.dumps({"detected_buildpack": "bench",
            "start_command": "exec python3 -m http.server $PORT --bind 127.0.0.1"}))
        add("app/index.html", "hello\n")
    return buf.getvalue()


class Scheduler(http.server.BaseHTTPRequestHandler):
    events = {}          # (kind, instance_guid) -> time.monotonic()
    droplet = b""
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def _answer(self, status, body=b"{}", kind="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/droplets/"):
            return self._answer(200, Scheduler.droplet, "application/gzip")
        self._answer(404)

    def do_PUT(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer(200)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        kind = self.path.rsplit("/", 1)[-1]
        with Scheduler.lock:
            Scheduler.events[(kind, body.get("instance_guid"))] = time.monotonic()
        self._answer(200)


def sign(key, method, target):
    ts = str(int(time.time()))
    mac = hmac.new(key, f"scheduler\n{ts}\n{method}\n{target}".encode(), hashlib.sha256).digest()
    sig = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    return f"FoundryInternal caller=scheduler,ts={ts},sig={sig}"


def call(key, port, method, target, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{target}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Authorization", sign(key, method, target))
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status


def wait_for(kind, guid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Scheduler.lock:
            if (kind, guid) in Scheduler.events:
                return Scheduler.events[(kind, guid)]
        time.sleep(0.005)
    return None


def tree_rss_kib(root_pid):
    """RSS of root_pid and all its descendants (KiB)."""
    children = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            ppid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        children.setdefault(ppid, []).append(int(pid))
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        try:
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
        todo.extend(children.get(pid, []))
    return total


def run_mode(mode, args, sched_port, work):
    cell_port = free_port()
    secrets = os.path.join(work, "secrets")
    first = 40000 + (cell_port % 1000) * 20
    cell = subprocess.Popen(
        [os.path.join(args.build, "bin", "cell"), "--listen", f"127.0.0.1:{cell_port}",
         "--id", f"bench-{mode}", "--scheduler", f"http://127.0.0.1:{sched_port}",
         "--work-dir", os.path.join(work, mode), "--secrets", secrets,
         "--ports", f"{first}-{first + 19}", "--unhealthy-interval-ms", "20",
         "--stop-grace-s", "1", "--isolation", mode, "--log-level", "warn"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, f"cell-{mode}.log"), "w"))
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{cell_port}/ping", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        key = base64.urlsafe_b64decode(open(os.path.join(secrets, "internal-key")).read().strip() + "==")
        times, memory = [], []
        for i in range(args.runs + 1):  # run 0 warms the droplet cache
            guid = f"{mode}-{i}"
            lrp = {"index": 0, "instance_guid": guid, "desired": {
                "process_guid": f"proc-{guid}", "app_guid": "bench", "app_name": "bench",
                "memory_mb": 128, "disk_mb": 256, "droplet_guid": "bench-droplet",
                "droplet_url": f"http://127.0.0.1:{sched_port}/droplets/bench.tgz",
                "health_check": {"type": "port", "timeout_s": 30}}}
            begin = time.monotonic()
            call(key, cell_port, "POST", "/work", {"lrps": [lrp]})
            started = wait_for("start", guid, 30)
            if started is None:
                sys.exit(f"{mode}: instance {guid} did not start; see {work}/cell-{mode}.log")
            if i > 0:
                times.append((started - begin) * 1000)
                memory.append(tree_rss_kib(cell.pid))
            call(key, cell_port, "POST", f"/v1/lrps/proc-{guid}/instances/{guid}/stop")
            if wait_for("remove", guid, 30) is None:
                sys.exit(f"{mode}: instance {guid} was not removed")
        idle = tree_rss_kib(cell.pid)
        return times, statistics.median(memory) - idle
    finally:
        cell.terminate()
        cell.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = parser.parse_args()
    Scheduler.droplet = droplet_bytes()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Scheduler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    work = tempfile.mkdtemp(prefix="cell-bench-")
    os.chmod(work, 0o711)
    results = {}
    for mode in ("container", "none"):
        results[mode] = run_mode(mode, args, server.server_address[1], work)
    print(f"instance start, POST /work -> start report, {args.runs} runs each (ms); "
          f"memory the running instance adds (KiB)")
    for mode, (times, kib) in results.items():
        q = statistics.quantiles(times, n=10)
        print(f"  {mode:9s}  median {statistics.median(times):7.1f}  p90 {q[8]:7.1f}  "
              f"min {min(times):7.1f}  memory {kib:7.0f}")
    c, n = statistics.median(results["container"][0]), statistics.median(results["none"][0])
    print(f"  container / none: {c / n:.2f}x start time")


if __name__ == "__main__":
    main()
