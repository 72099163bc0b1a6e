#!/bin/bash
# "No code path may depend on the wording of an err_msg" (exactly once
# against a real platform): refusal texts are shown to people and
# journalled, never parsed.  Every call of a string comparison in agent/
# whose arguments touch an err_msg, or hold a Chinese literal (a helper
# handed the text under another name), is listed with its file and line;
# the check first proves on planted samples that it finds such calls.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat >"$T/scan.py" <<'PY'
import re, sys
fns = r"\b(strstr|strcasestr|strcmp|strncmp|strcasecmp|strncasecmp|memcmp|memmem|regexec|fnmatch|sscanf)\s*\("
bad = 0
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    for m in re.finditer(fns, text):
        i, depth = m.end(), 1
        while i < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        args = text[m.end():i - 1]
        # an err_msg compared with anything, or anything compared with
        # a Chinese literal (a helper handed the text under another name)
        line = text.count("\n", 0, m.start()) + 1
        # a comparison on hisgate's own error text (a path it put in
        # front), marked as such on its first line, is not a platform's
        first = text[text.rfind("\n", 0, m.start()) + 1:text.find("\n", m.start())]
        if "noparse: own text" in first:
            continue
        if re.search(r"err(_|\.|->)?msg|\bresponse\b|\bwhy\b", args) or re.search(r'"[^"]*[^\x00-\x7f][^"]*"', args):
            print("%s:%d: %s(%s) reads a platform text" %
                  (path, line, m.group(1), " ".join(args.split())))
            bad += 1
sys.exit(1 if bad else 0)
PY
cat >"$T/planted.c" <<'C'
	if (strstr(c.resp.err_msg, "已办理入院") != NULL)
		x();
	if (strcmp(r->err_msg,
	    "签到已失效") == 0)
		y();
	if (c.resp.err_msg[0] != '\0')	/* shown, not read: fine */
		z();
static int
admitted_as(const char *msg)
{
	return strstr(msg, "已办理入院") != NULL;
}
	if (strstr(st[i].response, setl_id) != NULL)
		w();
	if (strncmp(err.msg, "x", 1) == 0)
		v();
	if (strncmp(err.msg, path, n) == 0)	/* noparse: own text */
		u();
	if (strcmp(j.why, "agent stopping") != 0)
		t();
C
out=$("$PY" "$T/scan.py" "$T/planted.c")
is "the check finds a comparison on one line" \
    "$(grep -c 'planted.c:1: strstr' <<<"$out")" 1
is "and one over two lines, with its line" \
    "$(grep -c 'planted.c:3: strcmp' <<<"$out")" 1
is "and a helper that matches the text under another name" \
    "$(grep -c 'planted.c:11: strstr' <<<"$out")" 1
is "and a search in a raw answer (parse it instead)" \
    "$(grep -c 'planted.c:13: strstr' <<<"$out")" 1
is "and one on a struct hg_err's text" \
    "$(grep -c 'planted.c:15: strncmp' <<<"$out")" 1
is "and one on a reason text (why) handed from step to step" \
    "$(grep -c 'planted.c:19: strcmp' <<<"$out")" 1
is "and nothing else (a marked comparison on hisgate's own text is not a platform's)" "$(wc -l <<<"$out")" 6

out=$("$PY" "$T/scan.py" "$top_srcdir"/agent/*.c "$top_srcdir"/agent/*.h)
is "no code in agent/ compares an err_msg with anything" "$out" ""
done_testing
