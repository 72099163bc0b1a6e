/* A province's dialect (--dialect FILE, doc/sim-formats.md "Dialects"):
 * the wording of every refusal, and what a repeated 2401 or 2402 does.
 * Real platforms differ in both, and a client that reads texts to learn
 * state breaks on the next province; the simulator can play several.
 *
 * The dialect is loaded once before the server starts and only read
 * afterwards, so handlers reach it through one process-wide pointer
 * rather than threading it through every shared check. */
#ifndef HG_SIM_DIALECT_H
#define HG_SIM_DIALECT_H

#include <stddef.h>

#include "lib/err.h"

struct sim_text {
	const char	*key;
	const char	*text;		/* printf format */
};
extern const struct sim_text sim_texts[];
extern const size_t sim_ntexts;

enum sim_repeat_2401 {
	SIM_2401_REFUSE = 0,	/* -2 with text admit_repeated (default) */
	SIM_2401_ADMIT,		/* admit again with a new mdtrt_id */
};
enum sim_repeat_2402 {
	SIM_2402_REFUSE = 0,	/* -2 with text discharge_repeated (default) */
	SIM_2402_ACCEPT,	/* answer success, the discharge redone */
};

struct sim_dialect {
	char	 name[128];
	int	 repeat_2401;
	int	 repeat_2402;
	char	**text;			/* by index of sim_texts; NULL default */
};

/* The dialect in force; NULL: defaults everywhere. */
extern const struct sim_dialect *sim_dialect;

/* Load FILE; errors name FILE:LINE and what was expected. */
int	sim_dialect_load(const char *path, struct sim_dialect *d,
	    struct hg_err *err);
void	sim_dialect_free(struct sim_dialect *d);

/* A business refusal (-2) in the dialect's wording for key, or in fmt
 * (the default, repeated at the call site so the compiler checks the
 * arguments).  Always -1. */
int	sim_fail(struct hg_err *err, const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* A refusal without arguments: the dialect's text for key, or text. */
int	sim_refuse(struct hg_err *err, const char *key, const char *text);
/* The dialect's text for a key without arguments, or def. */
const char *sim_text(const char *key, const char *def);
/* What a repeated 2401 / 2402 does in the dialect in force. */
int	sim_repeat_2401(void);
int	sim_repeat_2402(void);
/* Print every key and its default text (--texts). */
void	sim_texts_print(void);

#endif
