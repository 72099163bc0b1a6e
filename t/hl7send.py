#!/usr/bin/python3
"""Test sender for the hl7 adapter: builds HL7 v2 messages with python-hl7
(an implementation independent of hisgate's parser) from a bill CSV in the
csvdrop layout (t/data/sample-6a.csv), sends them over MLLP and logs every
ACK it gets, one line each: "<MSH-10> <MSA-1> <MSA-3>".

Usage: hl7send.py PORT CSV ACKLOG [options]
       hl7send.py PORT --raw FILE...  send each file's bytes as one
           message and print "<file name>\t<MSA-1>\t<MSA-3 unescaped>"
  --charset utf8|gb2312|empty   MSH-18 and the bytes (default utf8)
  --bar              the charges as BAR^P01 instead of DFT^P03
  --credit-unsigned  a refund row (the CSV's 原明细序号 set) goes as an
                     FT1 of type CR with its quantity and amount without
                     the minus sign (default: CR with the CSV's negative
                     numbers); FT1-31 names the original's FT1-2
  --split N          the fee lines go in DFT^P03 messages of N lines
  --ipt ID           visit number (PV1-19) instead of the CSV's
  --ctrl PREFIX      control id prefix (default the visit number)
  --dup              send every message twice (same MSH-10)
  --drop-first       send the first message, close before the ACK, then
                     send everything on a new connection
  --no-discharge     charges only, no ADT^A03
  --only-discharge   the ADT^A03 only
  --retry            on a refused or reset connection, or AE, try again
                     (until --deadline seconds) with the same message
"""
import csv
import socket
import sys
import time

import hl7

SB, EB, CR = b"\x0b", b"\x1c", b"\x0d"
TEMPLATE = hl7.parse("MSH|^~\\&|HIS|H0001|HISGATE|H0001")


def esc(v):
    """Escape separators in ASCII values; python-hl7 writes non-ASCII as
    \\X<code point>\\, which is not HL7's byte escape, so Chinese text is
    left as it is (it contains no separator)."""
    if all(ord(c) < 0x80 for c in v):
        return TEMPLATE.escape(v)
    return v


def segment(name, fields):
    s = TEMPLATE.create_segment([TEMPLATE.create_field([name])])
    for n, v in sorted(fields.items()):
        if isinstance(v, (list, tuple)):
            for c, cv in enumerate(v, 1):
                s.assign_field(esc(cv), n, 1, c)
        else:
            s.assign_field(esc(v) if n > 2 else v, n)
    return s


def ts(t):
    return t.replace("-", "").replace(":", "").replace(" ", "")


def message(kind, ctrl, rows, charset, with_dg1, unsigned=False):
    r = rows[0]
    mtype = {"DFT": ("DFT", "P03", "DFT_P03"),
             "BAR": ("BAR", "P01", "BAR_P01"),
             "A03": ("ADT", "A03", "ADT_A03")}[kind]
    msh18 = {"utf8": "UNICODE UTF-8", "gb2312": "GB2312", "empty": ""}
    segs = [segment("MSH", {1: "|", 2: "^~\\&", 3: "HIS", 4: "H0001",
                            5: "HISGATE", 6: "H0001",
                            7: "20240305101500", 9: list(mtype),
                            10: ctrl, 11: "P", 12: "2.4", 15: "AL",
                            16: "NE", 17: "CHN", 18: msh18[charset]})]
    segs.append(segment("EVN", {1: mtype[1], 2: ts(r["出院时间"])}))
    segs.append(segment("PID", {
        1: "1", 3: [r["住院号"], "", "", "H0001", "MR"],
        5: [r["姓名"], "wangfang"], 7: "19491231",
        8: {"女": "F", "男": "M"}.get(r["性别"], "U"),
        19: r["身份证号"]}))
    pv1 = {1: "1", 2: "I", 3: [r["科室编码"], "12", "2", "H0001"],
           7: ["D0087", "李", "明"], 19: r["住院号"],
           44: ts(r["入院时间"])}
    if kind == "A03":
        pv1[45] = ts(r["出院时间"])
    segs.append(segment("PV1", pv1))
    if kind in ("DFT", "BAR"):
        for f in rows:
            ft1 = {
                1: f["明细序号"], 2: "FD%06d" % int(f["明细序号"]),
                4: ts(f["费用时间"]), 6: "CG",
                7: [f["院内项目编码"], f["项目名称"], "L",
                    f["医保目录编码"], f["项目名称"], "CHSMI"],
                10: f["数量"], 11: f["金额"], 12: f["单价"],
                13: [r["科室编码"], r["科室名称"]],
                21: ["D0087", "李", "明"]}
            if f.get("原明细序号"):
                ft1[6] = "CR"
                ft1[31] = "FD%06d" % int(f["原明细序号"])
                if unsigned:
                    ft1[10] = f["数量"].lstrip("-")
                    ft1[11] = f["金额"].lstrip("-")
            segs.append(segment("FT1", ft1))
    if with_dg1:
        segs.append(segment("DG1", {1: "1", 3: [r["主要诊断编码"],
                                               r["主要诊断名称"],
                                               "ICD10YB"], 6: "F",
                                    15: "1"}))
    msg = TEMPLATE.create_message(segs)
    text = str(msg) + "\r"
    # the adapter reads it back with its own parser: check ours first
    assert str(hl7.parse(text).segment("MSH")(10)) == ctrl
    return text.encode("gb18030" if charset != "utf8" else "utf-8")


def read_ack(sock):
    buf = b""
    while not buf.endswith(EB + CR):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the ACK")
        buf += chunk
    return buf.strip(SB + EB + CR)


def parse_ack(raw, encoding):
    ack = hl7.parse(raw.decode(encoding).replace("\n", "\r"))
    msa = ack.segment("MSA")
    text = ack.unescape(str(msa(3))) if len(msa) > 3 else ""
    return str(msa(2)), str(msa(1)), text


def raw(port, files):
    import os
    sock = socket.create_connection(("127.0.0.1", port))
    for f in files:
        sock.sendall(SB + open(f, "rb").read() + EB + CR)
        ctrl, code, text = parse_ack(read_ack(sock), "utf-8")
        print("%s\t%s\t%s" % (os.path.basename(f), code, text))
    sock.close()


def main():
    if sys.argv[2] == "--raw":
        return raw(int(sys.argv[1]), sys.argv[3:])
    port, path, acklog = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    opts = sys.argv[4:]

    def opt(name, default=None):
        return opts[opts.index(name) + 1] if name in opts else default

    charset = opt("--charset", "utf8")
    split = int(opt("--split", "2"))
    deadline = time.time() + float(opt("--deadline", "60"))
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    if opt("--ipt"):
        for r in rows:
            r["住院号"] = opt("--ipt")
    prefix = opt("--ctrl", rows[0]["住院号"])
    msgs = []
    kind = "BAR" if "--bar" in opts else "DFT"
    for i in range(0, len(rows), split):
        msgs.append(("%s-D%d" % (prefix, i // split + 1),
                     message(kind, "%s-D%d" % (prefix, i // split + 1),
                             rows[i:i + split], charset, False,
                             "--credit-unsigned" in opts)))
    if "--no-discharge" not in opts:
        msgs.append(("%s-A03" % prefix,
                     message("A03", "%s-A03" % prefix, rows, charset,
                             True)))
    if "--only-discharge" in opts:
        msgs = msgs[-1:]
    log = open(acklog, "a")
    sock = None
    if "--drop-first" in opts:
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(SB + msgs[0][1] + EB + CR)
        s.close()
    for ctrl, data in msgs:
        for _ in range(2 if "--dup" in opts else 1):
            while True:
                try:
                    if sock is None:
                        sock = socket.create_connection(("127.0.0.1", port))
                    sock.sendall(SB + data + EB + CR)
                    raw_ack = read_ack(sock)
                except OSError:
                    if "--retry" not in opts or time.time() > deadline:
                        raise
                    sock = None
                    time.sleep(0.2)
                    continue
                actrl, code, text = parse_ack(
                    raw_ack, "gb18030" if charset != "utf8" else "utf-8")
                log.write("%s %s %s\n" % (actrl, code, text))
                log.flush()
                if code == "AE" and "--retry" in opts and \
                        time.time() < deadline:
                    time.sleep(0.2)
                    continue
                break
    if sock is not None:
        sock.close()


if __name__ == "__main__":
    main()
