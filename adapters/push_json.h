/* The httppush body: one canonical bill as JSON, in the field names of
 * the outbox's own bill JSON (doc/bill-push.schema.json).  Unlike the
 * outbox's reader, this one is for input from outside: it collects every
 * problem (unknown keys, wrong types, amounts that are not exact
 * decimals, times that are not times, missing required fields) so that
 * one 400 answer lists them all. */
#ifndef HG_PUSH_JSON_H
#define HG_PUSH_JSON_H

#include <stddef.h>

#include "adapters/adapter.h"
#include "lib/bill.h"

/* 0 and *out (caller frees), or -1 with every problem in probs (line:
 * 0 for the bill, N for feedetail[N-1] or diseinfo[N-1]; field: the JSON
 * path, e.g. "feedetail[2].cnt"). */
int	hg_push_parse(const char *body, size_t len, struct hg_bill **out,
	    struct hg_problem **probs, size_t *nprobs);

#endif
