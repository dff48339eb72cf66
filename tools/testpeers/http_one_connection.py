#!/usr/bin/env python3
"""An HTTP/1.1 client that keeps one connection and writes requests as given, several in one
write when asked (pipelining), then reads exactly one response per request, in order, by
Content-Length or chunked framing. Prints one JSON line per response:
{"status": 200, "headers": {...lower-case...}, "body": "<text or base64>", "gzip": bool}

Usage: http_one_connection.py PORT TOKEN SCRIPT
SCRIPT is a JSON list of batches; each batch is a list of requests written in one send():
[{"path": "/api/v1/tags", "headers": {"Accept-Encoding": "gzip"}, "body": "abc"}, ...].
"""
import base64
import gzip
import json
import socket
import sys


def request_bytes(req, token):
    body = req.get("body", "").encode()
    lines = [f"{req.get('method', 'GET')} {req['path']} HTTP/1.1", "Host: 127.0.0.1"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    for k, v in req.get("headers", {}).items():
        lines.append(f"{k}: {v}")
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise EOFError("the server closed the connection")
        self.buf += chunk

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("latin-1")

    def exactly(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def response(self):
        status = int(self.line().split(" ")[1])
        headers = {}
        while True:
            line = self.line()
            if not line:
                break
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            body = self.exactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.line().split(";")[0], 16)
                if size == 0:
                    while self.line():
                        pass
                    break
                body += self.exactly(size)
                self.exactly(2)
        else:
            body = b""
        zipped = headers.get("content-encoding") == "gzip"
        if zipped:
            body = gzip.decompress(body)
        return {"status": status, "headers": headers, "body": body.decode("utf-8", "replace"), "gzip": zipped}


def main():
    port, token, script = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    reader = Reader(sock)
    for batch in script:
        sock.sendall(b"".join(request_bytes(r, token) for r in batch))
        for _ in batch:
            print(json.dumps(reader.response()), flush=True)
    sock.close()


if __name__ == "__main__":
    main()
