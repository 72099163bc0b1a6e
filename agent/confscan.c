#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/confscan.h"

#define MAXDEPTH	32

enum tok { T_EOF, T_NAME, T_STR, T_NUM, T_PUNCT, T_BAD };

struct scan {
	const char *p;
	int	 line;
	/* the token just read */
	enum tok t;
	char	 c;		/* T_PUNCT, T_BAD: the character */
	char	 text[64];	/* T_NAME, T_NUM: the start of it */
	int	 tline;		/* where it started */
	/* an unclosed string: where it was opened */
	int	 open_quote;
};

static int
is_name(int c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '*' ||
	    (!first && ((c >= '0' && c <= '9') || c == '-' || c == '_'));
}

static void
skip_space(struct scan *s)
{
	for (;;) {
		if (*s->p == '\n') {
			s->line++;
			s->p++;
		} else if (*s->p == ' ' || *s->p == '\t' || *s->p == '\r') {
			s->p++;
		} else if (*s->p == '#' || (s->p[0] == '/' && s->p[1] == '/')) {
			while (*s->p != '\0' && *s->p != '\n')
				s->p++;
		} else if (s->p[0] == '/' && s->p[1] == '*') {
			for (s->p += 2; *s->p != '\0' &&
			    !(s->p[0] == '*' && s->p[1] == '/'); s->p++)
				if (*s->p == '\n')
					s->line++;
			if (*s->p != '\0')
				s->p += 2;
		} else {
			return;
		}
	}
}

static int
is_name_rest(int c)
{
	return is_name(c, 0);
}

/* digits, signs, exponents, hex and the L of a 64-bit integer */
static int
is_num(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F') || (c != '\0' && strchr("+-.xXL", c));
}

/* The token's text: characters while ok() holds. */
static void
take(struct scan *s, int (*ok)(int))
{
	size_t n = 0;

	while (ok((unsigned char)*s->p)) {
		if (n + 1 < sizeof s->text)
			s->text[n++] = *s->p;
		s->p++;
	}
	s->text[n] = '\0';
}

static void
next(struct scan *s)
{

	skip_space(s);
	s->tline = s->line;
	s->text[0] = '\0';
	if (*s->p == '\0') {
		s->t = T_EOF;
		return;
	}
	if (*s->p == '"') {
		/* a string ends on its own line: one that runs on is the
		 * quote someone forgot to close */
		for (s->p++; *s->p != '"'; s->p++) {
			if (*s->p == '\0' || *s->p == '\n') {
				s->open_quote = s->tline;
				s->t = T_BAD;
				return;
			}
			if (*s->p == '\\' && s->p[1] != '\0' && s->p[1] != '\n')
				s->p++;
		}
		s->p++;
		s->t = T_STR;
		return;
	}
	if (is_name((unsigned char)*s->p, 1)) {
		take(s, is_name_rest);
		s->t = T_NAME;
		return;
	}
	if ((*s->p >= '0' && *s->p <= '9') || *s->p == '-' || *s->p == '+' ||
	    *s->p == '.') {
		take(s, is_num);
		s->t = T_NUM;
		return;
	}
	s->c = *s->p++;
	s->t = strchr("=:;,{}[]()", s->c) != NULL ? T_PUNCT : T_BAD;
}

static const char *
closer(char open)
{
	return open == '{' ? "}" : open == '[' ? "]" : ")";
}

struct frame {
	char	 open;
	int	 line;
	char	 name[64];	/* the setting it is the value of */
};

/* Read the file as libconfig would and stop at the first thing that is
 * wrong, naming where it started. */
static int
scan(struct scan *s, int *line, char *msg, size_t len)
{
	struct frame st[MAXDEPTH];
	char key[64] = "";
	int depth = 0, want_value = 0, after_value = 0, value_line = 0;

	for (;;) {
		next(s);
		if (s->t == T_BAD && s->open_quote) {
			*line = s->open_quote;
			snprintf(msg, len, "unclosed quote opened at line %d%s%s"
			    " (a string ends with \" on the line it starts)",
			    s->open_quote, key[0] ? ", in the value of " : "",
			    key);
			return 0;
		}
		if (s->t == T_BAD) {
			*line = s->tline;
			snprintf(msg, len, "unexpected character '%c'", s->c);
			return 0;
		}
		if (s->t == T_EOF) {
			if (depth == 0 && !want_value)
				return -1;
			if (depth == 0) {
				*line = s->tline;
				snprintf(msg, len, "%s has no value: expected a "
				    "value and ';' before the end of the file",
				    key);
				return 0;
			}
			*line = st[depth - 1].line;
			snprintf(msg, len, "'%c' opened at line %d%s%s is never "
			    "closed: expected '%s;'", st[depth - 1].open,
			    st[depth - 1].line, st[depth - 1].name[0] ?
			    " for " : "", st[depth - 1].name,
			    closer(st[depth - 1].open));
			return 0;
		}
		if (s->t == T_PUNCT && (s->c == '}' || s->c == ']' ||
		    s->c == ')')) {
			if (depth == 0) {
				*line = s->tline;
				snprintf(msg, len, "'%c' closes nothing (one "
				    "too many, or its opening was lost)", s->c);
				return 0;
			}
			if (closer(st[depth - 1].open)[0] != s->c) {
				*line = st[depth - 1].line;
				snprintf(msg, len, "'%c' opened at line %d%s%s "
				    "is closed by '%c' at line %d: expected "
				    "'%s'", st[depth - 1].open,
				    st[depth - 1].line, st[depth - 1].name[0] ?
				    " for " : "", st[depth - 1].name, s->c,
				    s->tline, closer(st[depth - 1].open));
				return 0;
			}
			depth--;
			want_value = 0;
			after_value = 1;
			value_line = s->tline;
			continue;
		}
		if (want_value) {
			if (s->t == T_NAME && strcmp(s->text, "true") != 0 &&
			    strcmp(s->text, "false") != 0) {
				*line = s->tline;
				snprintf(msg, len, "the value %s of %s is not "
				    "in quotes: expected %s = \"%s\";",
				    s->text, key, key, s->text);
				return 0;
			}
			if (s->t == T_PUNCT && (s->c == '{' || s->c == '[' ||
			    s->c == '(')) {
				if (depth == MAXDEPTH)
					return -1;
				st[depth].open = s->c;
				st[depth].line = s->tline;
				snprintf(st[depth].name, sizeof st[depth].name,
				    "%s", key);
				depth++;
				/* a group holds settings, a list values */
				want_value = s->c != '{';
				after_value = 0;
				continue;
			}
			if (s->t == T_PUNCT) {
				*line = s->tline;
				snprintf(msg, len, "%s%s has no value before "
				    "'%c': expected a value (\"text\", a number, "
				    "true or false)", key[0] ? "" : "a list item",
				    key, s->c);
				return 0;
			}
			want_value = 0;
			after_value = 1;
			value_line = s->tline;
			continue;
		}
		if (s->t == T_PUNCT && (s->c == ';' || s->c == ',')) {
			/* in a list, a comma asks for the next value */
			want_value = depth > 0 && st[depth - 1].open != '{' &&
			    s->c == ',';
			after_value = 0;
			continue;
		}
		if (after_value && s->t != T_NAME) {
			*line = value_line;
			snprintf(msg, len, "expected ';' after the value of %s "
			    "on line %d", key, value_line);
			return 0;
		}
		if (after_value && s->tline == value_line) {
			*line = value_line;
			snprintf(msg, len, "expected ';' after the value of %s, "
			    "found %s", key, s->text);
			return 0;
		}
		if (s->t != T_NAME) {
			*line = s->tline;
			snprintf(msg, len, "expected a setting (name = value;)"
			    "%s", s->t == T_PUNCT ? "" : ", found a value");
			return 0;
		}
		snprintf(key, sizeof key, "%s", s->text);
		after_value = 0;
		next(s);
		if (s->t != T_PUNCT || (s->c != '=' && s->c != ':')) {
			*line = s->tline;
			snprintf(msg, len, "expected '=' after %s", key);
			return 0;
		}
		want_value = 1;
	}
}

int
hg_conf_scan(const char *path, int *line, char *msg, size_t len)
{
	struct scan s;
	FILE *fp;
	char *buf;
	long n;
	int rc;

	if ((fp = fopen(path, "rb")) == NULL)
		return -1;
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
	    n > (1L << 24) || fseek(fp, 0, SEEK_SET) != 0) {
		fclose(fp);
		return -1;
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	buf[n] = '\0';
	memset(&s, 0, sizeof s);
	s.p = buf;
	s.line = 1;
	rc = scan(&s, line, msg, len);
	free(buf);
	return rc;
}
