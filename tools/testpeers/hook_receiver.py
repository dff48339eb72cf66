#!/usr/bin/env python3
"""A loopback receiver for Kiln's hook tests and benchmark (standard library only).

Modes:
  webhook    verifies the Standard Webhooks signature with its own HMAC-SHA256 (built here from
             hashlib's SHA-256, not Python's hmac module, so it shares no HMAC code with Kiln)
             and answers 401 to a bad or missing signature or a stale timestamp.
  pagerduty  checks the Events API v2 shape (routing_key, event_action, dedup_key, payload with
             summary, source, severity, timestamp, custom_details) and answers 202 or 400.
  fast       answers 200 at once, logging nothing (the throughput benchmark).

--script gives the first answers in order, comma-separated, before the mode's own:
  slow:S (sleep S seconds, then 200), 500, 429:S (429 with Retry-After: S), 410, 302, ok.
Every request is logged as one JSON line to --log: id, timestamp, verified, status, body.
Prints READY once listening.
"""
import argparse
import base64
import hashlib
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """RFC 2104 by hand over SHA-256."""
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(k ^ 0x36 for k in key) + message).digest()
    return hashlib.sha256(bytes(k ^ 0x5C for k in key) + inner).digest()


def signing_key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):])
    return secret.encode()


def verify(key: bytes, headers, body: bytes, tolerance: int = 300):
    msg_id = headers.get("webhook-id")
    ts = headers.get("webhook-timestamp")
    sig = headers.get("webhook-signature")
    if not msg_id or not ts or not sig:
        return False, "missing webhook headers"
    try:
        ts_int = int(ts)
    except ValueError:
        return False, "bad timestamp"
    if abs(time.time() - ts_int) > tolerance:
        return False, "stale timestamp"
    expected = base64.b64encode(hmac_sha256(key, f"{msg_id}.{ts}.".encode() + body)).decode()
    for candidate in sig.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and constant_time_equal(value.encode(), expected.encode()):
            return True, "ok"
    return False, "no matching signature"


def constant_time_equal(a: bytes, b: bytes) -> bool:
    if len(a) != len(b):
        return False
    diff = 0
    for x, y in zip(a, b):
        diff |= x ^ y
    return diff == 0


PD_ACTIONS = {"trigger", "acknowledge", "resolve"}
PD_SEVERITIES = {"critical", "error", "warning", "info"}


def check_pagerduty(event, routing_key):
    errors = []
    if event.get("routing_key") != routing_key:
        errors.append("routing_key")
    if event.get("event_action") not in PD_ACTIONS:
        errors.append("event_action")
    if not isinstance(event.get("dedup_key"), str) or not event["dedup_key"]:
        errors.append("dedup_key")
    payload = event.get("payload")
    if not isinstance(payload, dict):
        errors.append("payload")
    else:
        for field in ("summary", "source", "timestamp"):
            if not isinstance(payload.get(field), str) or not payload[field]:
                errors.append("payload." + field)
        if payload.get("severity") not in PD_SEVERITIES:
            errors.append("payload.severity")
        if not isinstance(payload.get("custom_details"), dict):
            errors.append("payload.custom_details")
        if isinstance(payload.get("summary"), str) and len(payload["summary"]) > 1024:
            errors.append("payload.summary too long")
    return errors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=["webhook", "pagerduty", "fast"], default="webhook")
    parser.add_argument("--secret", default=None)
    parser.add_argument("--routing-key", default=None)
    parser.add_argument("--script", default="")
    parser.add_argument("--log", default=None)
    args = parser.parse_args()

    script = [s for s in args.script.split(",") if s]
    lock = threading.Lock()
    log = open(args.log, "a", buffering=1) if args.log else None
    key = signing_key(args.secret) if args.secret else None

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # One small write for the headers and one for the body: without TCP_NODELAY, Nagle and
        # the client's delayed ACK hold each answer ~40 ms.
        disable_nagle_algorithm = True

        def log_message(self, *a):
            pass

        def answer(self, status, body=b"", headers=()):
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            if args.mode == "fast":
                self.answer(200, b"ok")
                return
            with lock:
                step = script.pop(0) if script else "ok"
            record = {
                "id": self.headers.get("webhook-id"),
                "timestamp": self.headers.get("webhook-timestamp"),
                "path": self.path,
                "step": step,
                "body": body.decode("utf-8", "replace"),
            }
            status, answer, extra = 200, b"ok", []
            if step == "500":
                status, answer = 500, b"receiver broken"
            elif step.startswith("429:"):
                status, answer, extra = 429, b"slow down", [("retry-after", step[4:])]
            elif step == "410":
                status, answer = 410, b"gone"
            elif step == "302":
                status, answer, extra = 302, b"moved", [("location", "http://127.0.0.1:1/elsewhere")]
            if status == 200 and args.mode == "webhook" and key is not None:
                ok, reason = verify(key, self.headers, body)
                record["verified"] = ok
                if not ok:
                    status, answer = 401, reason.encode()
            if status == 200 and args.mode == "pagerduty":
                try:
                    errors = check_pagerduty(json.loads(body), args.routing_key)
                except ValueError:
                    errors = ["not JSON"]
                record["errors"] = errors
                if errors:
                    status = 400
                    answer = json.dumps({"status": "invalid event", "errors": errors}).encode()
                else:
                    status = 202
                    answer = json.dumps({"status": "success", "message": "Event processed",
                                         "dedup_key": json.loads(body)["dedup_key"]}).encode()
            record["status"] = status
            # Logged on arrival, so the log keeps the order requests came in even when one is slow.
            if log:
                with lock:
                    log.write(json.dumps(record) + "\n")
            if step.startswith("slow:"):
                time.sleep(float(step[5:]))
            try:
                self.answer(status, answer, extra)
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print("READY", flush=True)
    # Exit when the test that started us goes away (its end of our stdin closes).
    threading.Thread(target=lambda: (sys.stdin.read(), server.shutdown()), daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
