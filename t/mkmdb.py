#!/usr/bin/python3
# mkmdb.py OUT.mdb < TABLE.json: write a Jet 4 (Access 2000) database
# with one user table, for the tests of the Access source (t/mdb.sh).  No
# Debian package writes Access files, so this is written from the format
# as mdbtools documents it (its HACKING notes): 4 KiB pages, little-endian
# integers, text in UCS-2.  Only what a reader needs is written: no
# indexes, no properties, no free-space accounting beyond the page
# headers.
#
# TABLE.json: {"name": "fee", "columns": [["ZYH", "text"], ["XH", "long"],
#   ["FYSJ", "datetime"], ["JE", "money"], ...], "rows": [[...], ...]}
# Values: text as strings, long as integers, datetime as
# "YYYY-MM-DD HH:MM:SS", money as decimal strings ("25.50"), double as
# numbers; null as null.
#
# The file:
#   page 0  the database definition page (Jet version 4, the RC4-masked
#           header area holding no database key: pages are plain)
#   page 1  a data page holding the usage maps of both tables (type 0)
#   page 2  MSysObjects' table definition (always page 2)
#   page 3  MSysObjects' rows: itself and the user table
#   page 4  the user table's definition
#   page 5… the user table's rows
import datetime
import decimal
import json
import struct
import sys

PG = 4096
T_BOOL, T_INT, T_LONG, T_MONEY, T_DOUBLE, T_DATETIME, T_TEXT, T_OLE = \
    0x01, 0x03, 0x04, 0x05, 0x07, 0x08, 0x0A, 0x0B
TYPES = {"int": (T_INT, 2), "long": (T_LONG, 4), "money": (T_MONEY, 8),
         "double": (T_DOUBLE, 8), "datetime": (T_DATETIME, 8),
         "text": (T_TEXT, 510), "ole": (T_OLE, 0)}
FIXED = (T_INT, T_LONG, T_MONEY, T_DOUBLE, T_DATETIME)
EPOCH = datetime.datetime(1899, 12, 30)


def rc4(key, data):
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) & 0xFF
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for b in data:
        i = (i + 1) & 0xFF
        j = (j + s[i]) & 0xFF
        s[i], s[j] = s[j], s[i]
        out.append(b ^ s[(s[i] + s[j]) & 0xFF])
    return bytes(out)


class Table:
    def __init__(self, name, columns, system=False):
        self.name = name
        self.system = system
        self.cols = []          # (name, type, size, fixed, fixed_off, var_no)
        off = nvar = 0
        for cname, tname in columns:
            t, size = TYPES[tname]
            if t in FIXED:
                self.cols.append((cname, t, size, True, off, 0))
                off += size
            else:
                self.cols.append((cname, t, size, False, 0, nvar))
                nvar += 1
        self.fixed_len = off
        self.nvar = nvar

    def value(self, t, v):
        if t == T_INT:
            return struct.pack("<h", v)
        if t == T_LONG:
            return struct.pack("<i", v)
        if t == T_MONEY:
            return struct.pack("<q", int(decimal.Decimal(v) * 10000))
        if t == T_DOUBLE:
            return struct.pack("<d", v)
        if t == T_DATETIME:
            d = datetime.datetime.strptime(v, "%Y-%m-%d %H:%M:%S") - EPOCH
            return struct.pack("<d", d.days + d.seconds / 86400.0)
        if t == T_TEXT:
            return v.encode("utf-16-le")
        return bytes(v, "latin-1")

    def row(self, values):
        """A row: column count, the fixed columns, the variable ones,
        then from the end backwards the null mask (1 = not null), the
        number of variable columns, their offsets and the end of data."""
        ncols = len(self.cols)
        fixed = bytearray(self.fixed_len)
        var = [b""] * self.nvar
        mask = bytearray((ncols + 7) // 8)
        for i, ((_, t, _, isfixed, foff, vno), v) in enumerate(
                zip(self.cols, values)):
            if v is None:
                continue
            mask[i // 8] |= 1 << (i % 8)
            b = self.value(t, v)
            if isfixed:
                fixed[foff:foff + len(b)] = b
            else:
                var[vno] = b
        out = bytearray(struct.pack("<H", ncols)) + fixed
        offs = []
        for b in var:
            offs.append(len(out))
            out += b
        offs.append(len(out))           # the end of the data
        for o in reversed(offs):
            out += struct.pack("<H", o)
        out += struct.pack("<H", self.nvar) + mask
        return bytes(out)

    def tdef(self, nrows, used_map, free_map):
        ncols = len(self.cols)
        b = bytearray(63)
        struct.pack_into("<I", b, 16, nrows)
        b[40] = 0x53 if self.system else 0x4E
        struct.pack_into("<HHHII", b, 41, ncols, self.nvar, ncols, 0, 0)
        struct.pack_into("<II", b, 55, used_map, free_map)
        for i, (cname, t, size, isfixed, foff, vno) in enumerate(self.cols):
            c = bytearray(25)
            c[0] = t
            struct.pack_into("<HHH", c, 5, i, vno, i)
            if t == T_TEXT:
                struct.pack_into("<H", c, 11, 0x0409)    # General sort
            c[15] = (0x01 if isfixed else 0) | 0x02      # fixed, nullable
            struct.pack_into("<HH", c, 21, foff, size)
            b += c
        for cname, *_ in self.cols:
            n = cname.encode("utf-16-le")
            b += struct.pack("<H", len(n)) + n
        b += b"\xff\xff"                # no variable-column maps follow
        page = bytearray(PG)
        page[0:2] = b"\x02\x01"
        struct.pack_into("<H", page, 2, PG - len(b) - 8)
        page[8:len(b)] = b[8:]
        struct.pack_into("<I", page, 8, len(b))
        return bytes(page)


def data_pages(tdef_pg, rows):
    """Rows packed into data pages, the first row ending at the page's
    end, each next one before it; the offsets after the header."""
    pages, cur = [], []

    def flush():
        page = bytearray(PG)
        page[0:2] = b"\x01\x01"
        struct.pack_into("<I", page, 4, tdef_pg)
        struct.pack_into("<H", page, 12, len(cur))
        end = PG
        for i, r in enumerate(cur):
            start = end - len(r)
            page[start:end] = r
            struct.pack_into("<H", page, 14 + 2 * i, start)
            end = start
        struct.pack_into("<H", page, 2, end - 14 - 2 * len(cur))
        pages.append(bytes(page))

    used = 14
    for r in rows:
        if cur and used + 2 + len(r) > PG:
            flush()
            cur, used = [], 14
        cur.append(r)
        used += 2 + len(r)
    if cur or not pages:
        flush()
    return pages


def usage_map(pages):
    m = bytearray(64)                   # type 0, starting at page 0
    for p in pages:
        m[5 + p // 8] |= 1 << (p % 8)
    return bytes(m)


def header():
    page = bytearray(PG)
    page[0:4] = b"\x00\x01\x00\x00"
    page[4:20] = b"Standard Jet DB\x00"
    page[0x14] = 0x01                   # Jet 4
    plain = bytearray(128)              # masked area, from 0x18
    struct.pack_into("<H", plain, 0x3C - 0x18, 1252)   # code page (Jet 3)
    struct.pack_into("<I", plain, 0x3E - 0x18, 0)      # no database key
    struct.pack_into("<H", plain, 0x6E - 0x18, 0x0409)  # sort order
    page[0x18:0x18 + 128] = rc4(b"\xc7\xda\x39\x6b", bytes(plain))
    return bytes(page)


def main():
    spec = json.load(sys.stdin)
    user = Table(spec["name"], spec["columns"])
    rows = [user.row(r) for r in spec["rows"]]
    upages = data_pages(4, rows)
    unums = list(range(5, 5 + len(upages)))
    msys = Table("MSysObjects", [["Id", "long"], ["ParentId", "long"],
                                 ["Name", "text"], ["Type", "int"],
                                 ["Flags", "long"], ["LvProp", "ole"]],
                 system=True)
    catalog = [msys.row([2, 0x0F000000, "MSysObjects", 1, -2147483646,
                         None]),
               msys.row([4, 0x0F000000, user.name, 1, 0, None])]
    maps = [usage_map([3]), usage_map([]), usage_map(unums), usage_map([])]
    out = [header(),
           data_pages(0, maps)[0],
           msys.tdef(len(catalog), 1 << 8 | 0, 1 << 8 | 1),
           data_pages(2, catalog)[0],
           user.tdef(len(rows), 1 << 8 | 2, 1 << 8 | 3)] + upages
    with open(sys.argv[1], "wb") as f:
        f.write(b"".join(out))


main()
