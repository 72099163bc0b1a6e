#!/usr/bin/python3
"""A small Chrome DevTools protocol client (stdlib only) for t/web.sh.

The shell starts one headless Chromium with --remote-debugging-port=0;
each call of this script connects to its page, does one thing and
leaves the page as it is (still open, still polling), so the shell can
change the world between two looks at the same page.

  webcdp.py DIR open URL          navigate, wait for the load event
  webcdp.py DIR eval JS           print the value of JS
  webcdp.py DIR wait SECS JS      until JS is truthy (exit 1 after SECS)
  webcdp.py DIR shot FILE         PNG of the viewport
  webcdp.py DIR pdf FILE a4|80    print to PDF on A4 or 80 mm paper
  webcdp.py DIR printeval JS      value of JS with the print media type

DIR is Chromium's --user-data-dir (it writes DevToolsActivePort there).
"""
import base64
import json
import os
import socket
import struct
import sys
import time
import urllib.request


class CDP:
    def __init__(self, ws_url):
        rest = ws_url[len("ws://"):]
        hostport, path = rest.split("/", 1)
        host, port = hostport.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            "GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)
        ).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise IOError("websocket handshake: connection closed")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise IOError("websocket handshake: %r" % head[:200])
        self.buf = head.split(b"\r\n\r\n", 1)[1]
        self.next_id = 0

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise IOError("websocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _frame(self):
        msg = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            data = self._read(n)
            op = b0 & 0x0F
            if op == 8:
                raise IOError("websocket closed by the browser")
            if op in (9, 10):
                continue
            msg += data
            if b0 & 0x80:
                return msg.decode()

    def send(self, method, **params):
        self.next_id += 1
        data = json.dumps({"id": self.next_id, "method": method,
                           "params": params}).encode()
        head = bytes([0x81])
        n = len(data)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(head + mask +
                          bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
        return self.next_id

    def call(self, method, **params):
        want = self.send(method, **params)
        while True:
            m = json.loads(self._frame())
            if m.get("id") == want:
                if "error" in m:
                    raise IOError("%s: %s" % (method, m["error"]))
                return m.get("result", {})

    def until_event(self, name, timeout):
        end = time.time() + timeout
        while time.time() < end:
            m = json.loads(self._frame())
            if m.get("method") == name:
                return m
        raise IOError("no %s within %s s" % (name, timeout))

    def evaluate(self, expr):
        r = self.call("Runtime.evaluate", expression=expr,
                      returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise IOError("JS: %s" % r["exceptionDetails"].get("text"))
        return r.get("result", {}).get("value")


def page(udir):
    with open(os.path.join(udir, "DevToolsActivePort")) as f:
        port = int(f.readline())
    with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port,
                                timeout=30) as r:
        targets = json.load(r)
    for t in targets:
        if t.get("type") == "page":
            return CDP(t["webSocketDebuggerUrl"])
    raise IOError("no page target")


def show(v):
    # JSON for everything but strings: true, not Python's True
    print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))


def main():
    udir, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    c = page(udir)
    if cmd == "open":
        c.call("Page.enable")
        c.call("Page.navigate", url=args[0])
        c.until_event("Page.loadEventFired", 60)
    elif cmd == "eval":
        show(c.evaluate(args[0]))
    elif cmd == "printeval":
        c.call("Emulation.setEmulatedMedia", media="print")
        show(c.evaluate(args[0]))
        c.call("Emulation.setEmulatedMedia", media="")
    elif cmd == "wait":
        end = time.time() + float(args[0])
        while not c.evaluate(args[1]):
            if time.time() > end:
                return 1
            time.sleep(0.2)
    elif cmd == "shot":
        r = c.call("Page.captureScreenshot", format="png")
        with open(args[0], "wb") as f:
            f.write(base64.b64decode(r["data"]))
    elif cmd == "pdf":
        # inches: A4 210 x 297 mm; the receipt 80 mm wide, long enough
        w, h = (8.27, 11.69) if args[1] == "a4" else (3.15, 20.0)
        r = c.call("Page.printToPDF", paperWidth=w, paperHeight=h,
                   preferCSSPageSize=True, printBackground=False)
        with open(args[0], "wb") as f:
            f.write(base64.b64decode(r["data"]))
    else:
        print("unknown command %s" % cmd, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
