/* The national interface codec (定点医药机构接口规范, see
 * doc nhsa-interface.md): request envelopes, msgids, response parsing and
 * classification, and the concrete messages of inpatient settlement, both
 * ways, so that the agent (sender) and the simulator (receiver) share one
 * definition of every field.
 *
 * Money is int64 fen, quantities x10^4, prices x10^6 and ratios x10^4; on
 * the wire they are exact decimal text (lib/jsonx.h), never doubles.
 *
 * How the agent's settlement step machine uses it, one step:
 *
 *	struct hg_nhsa_hdr hdr = { ...from config..., .sign_no = sign_no };
 *	char msgid[HG_NHSA_MSGIDBUF];
 *	hg_nhsa_msgid(&gen, time(NULL), msgid);	   record it, THEN send
 *	in = hg_nhsa_in_setl(&req);			   {"data": {...}}
 *	env = hg_nhsa_envelope(&hdr, "2304", msgid, insuplc, now, in);
 *	body = hg_nhsa_json_text(env);		   POST body; free() it
 *	...transport...
 *	if (hg_nhsa_resp_parse(reply, len, &resp, &err) == -1)
 *		unknown outcome (err.kind == HG_ETEMP): reverse by 2601
 *	switch (resp.cls) {
 *	case HG_NHSA_OK:     hg_nhsa_out_setl(resp.output, &setl, &err); ...
 *	case HG_NHSA_SYSERR: ambiguous: 2601 (omsgid = msgid), then anew
 *	case HG_NHSA_BIZERR: rejected: show resp.err_msg, do not resend
 *	case HG_NHSA_FAILED: not settled, unknown code: treat as rejected
 *	}
 *	hg_nhsa_resp_free(&resp);
 *
 * Builders (hg_nhsa_in_*) return the whole `input` object, node name
 * included; hg_nhsa_envelope() takes ownership of it.  Parsers
 * (hg_nhsa_out_*) read a response's `output` into caller-owned structs
 * with fixed-size buffers: nothing to free, and a value too long for its
 * buffer is an error rather than a silent truncation.  Every function that
 * can fail returns 0 or -1 with a struct hg_err naming the field. */
#ifndef HG_NHSA_H
#define HG_NHSA_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>

#include "lib/bill.h"
#include "lib/err.h"

#define HG_NHSA_CODELEN		12	/* fixmedins_code */
#define HG_NHSA_MSGIDLEN	30	/* 12 + 14 + 4 */
#define HG_NHSA_MSGIDBUF	(HG_NHSA_MSGIDLEN + 1)
#define HG_NHSA_REFMSGIDLEN	30	/* region 6 + time 14 + serial 10 */
#define HG_NHSA_IDBUF		64	/* psn_no, mdtrt_id, setl_id, sign_no ... */
#define HG_NHSA_CODEBUF		16	/* short codes: insutype, clr_type ... */
#define HG_NHSA_NAMEBUF		256	/* names (UTF-8, up to ~80 characters) */
#define HG_NHSA_TEXTBUF		1024	/* err_msg, descriptions */
#define HG_NHSA_TIMEBUF		24	/* "yyyy-MM-dd HH:mm:ss", 17-digit stamps */
#define HG_NHSA_MAXDETAIL	16	/* setldetail rows kept */
#define HG_NHSA_MAXINSU		8	/* 1101 insuinfo rows kept */

/* --- envelope ------------------------------------------------------- */

/* The common request header (§1).  All strings are borrowed; NULL is
 * sent as "".  insuplc_admdvs is per call (hg_nhsa_envelope argument). */
struct hg_nhsa_hdr {
	const char	*mdtrtarea_admvs;	/* the hospital's own region */
	const char	*recer_sys_code;
	const char	*dev_no;
	const char	*dev_safe_info;
	const char	*cainfo;
	const char	*signtype;
	const char	*infver;
	const char	*opter_type;		/* "1" staff */
	const char	*opter;
	const char	*opter_name;
	const char	*fixmedins_code;
	const char	*fixmedins_name;
	const char	*sign_no;		/* from 9001; "" before sign-in */
};

/* The name of infno's input node: "signIn" (9001), "mdtrtinfo" (2401;
 * with "diseinfo"), "dscginfo" (2402; with "diseinfo"), "feedetail"
 * (2301, an array) and "data" for everything else. */
const char *hg_nhsa_input_node(const char *infno);

/* 1 when infno only asks (1101 person, 2303 pre-settlement, 5201 visit
 * query, 5203 settlement lookup, 3201 and 3202 reconciliation, 9001
 * sign-in): sending it twice changes nothing at the platform.  Everything
 * else (2401, 2404, 2405, 2301, 2302, 2402, 2304, 2305, 2601, 9101 ...)
 * changes state, and so counts as unknown and waits for the disk. */
int	hg_nhsa_is_query(const char *infno);

/* The request envelope: every header field of §1 in the documented order,
 * then "input".  Takes ownership of `input` (NULL sends {}).  inf_time is
 * `now` in local time; insuplc_admdvs may be NULL (sent as ""), but the
 * platform requires it whenever the input carries a psn_no. */
struct json_object *hg_nhsa_envelope(const struct hg_nhsa_hdr *hdr,
	    const char *infno, const char *msgid, const char *insuplc_admdvs,
	    time_t now, struct json_object *input);
/* Compact JSON text of any object, UTF-8 unescaped, "/" unescaped; the
 * caller frees it. */
char	*hg_nhsa_json_text(struct json_object *obj);

/* --- msgid ------------------------------------------------------------ */

/* msgid = fixmedins_code (12) + yyyyMMddHHmmss (14) + 4-digit sequence.
 *
 * Only 10,000 sequence numbers exist per second, so uniqueness is designed:
 *  - Within a generator, the "logical second" never goes backwards (a clock
 *    stepped back keeps using the last second) and, once a second's 10,000
 *    numbers are spent, moves on to the next second (borrowing from the
 *    future by at most the burst size, never repeating).
 *  - With a state file (the agent's choice: a file beside the outbox), the
 *    last (second, count) lives in that file under flock(2), so every
 *    process of the hospital on this host draws from one sequence and a
 *    restart continues after the last number issued.  No fsync: losing the
 *    last write needs a power cut, and a reboot takes far longer than the
 *    one second of numbers it could forget.
 *  - Without a state file, each generator starts its per-second sequence
 *    at a random offset (getrandom, mixed with the pid), and the caller may
 *    pass floor_sec (e.g. the time of the newest msgid in its outbox) so a
 *    restart never reuses a second it already used.  Two such processes
 *    collide only if one sends more msgids within one second than the
 *    random gap between their offsets (about K/10,000 per pair for bursts
 *    of K): rare, and the outbox's UNIQUE constraint is the backstop.
 * The generator is thread-safe. */
struct hg_nhsa_msgid_gen {
	pthread_mutex_t	 lock;
	char		 code[HG_NHSA_CODELEN + 1];
	int		 fd;		/* state file, or -1 */
	int64_t		 sec;		/* logical second of the last msgid */
	unsigned	 n;		/* msgids issued in that second */
	unsigned	 base;		/* random offset (no state file) */
	struct hg_err	 err;		/* why the last hg_nhsa_msgid failed */
};

/* state_path may be NULL (in-memory mode); floor_sec 0 when unknown.
 * hg_nhsa_msgid_destroy() is safe after a failed init. */
int	hg_nhsa_msgid_init(struct hg_nhsa_msgid_gen *gen,
	    const char *fixmedins_code, const char *state_path,
	    int64_t floor_sec, struct hg_err *err);
void	hg_nhsa_msgid_destroy(struct hg_nhsa_msgid_gen *gen);
/* Write the next msgid (30 characters + NUL).  Fails (-1, reason in
 * gen->err) only when the state file cannot be read or written. */
int	hg_nhsa_msgid(struct hg_nhsa_msgid_gen *gen, time_t now,
	    char out[HG_NHSA_MSGIDBUF]);

/* --- responses --------------------------------------------------------- */

enum hg_nhsa_class {
	HG_NHSA_OK = 0,		/* infcode 0 */
	HG_NHSA_SYSERR,		/* -1: system error; outcome ambiguous */
	HG_NHSA_BIZERR,		/* -2: business error; rejected */
	HG_NHSA_FAILED,		/* any other non-zero code: not done */
};

struct hg_nhsa_resp {
	int64_t		 infcode;
	enum hg_nhsa_class cls;
	char		 inf_refmsgid[HG_NHSA_IDBUF];
	char		 refmsg_time[HG_NHSA_TIMEBUF];
	char		 respond_time[HG_NHSA_TIMEBUF];
	char		 err_msg[HG_NHSA_TEXTBUF];	/* "" when none */
	char		 warn_msg[HG_NHSA_TEXTBUF];
	struct json_object *output;	/* borrowed from root; NULL if null */
	struct json_object *root;	/* owned */
};

enum hg_nhsa_class hg_nhsa_classify(int64_t infcode);
/* Parse a response body.  infcode may be a number or a string ("0", 0,
 * "-1", -2).  A body that is not JSON or has no usable infcode fails with
 * kind HG_ETEMP: nothing is known about the outcome.  Over-long text
 * fields are cut (they are for people), never an error. */
int	hg_nhsa_resp_parse(const char *text, size_t len,
	    struct hg_nhsa_resp *resp, struct hg_err *err);
void	hg_nhsa_resp_free(struct hg_nhsa_resp *resp);
/* The receiver's side: a response envelope (infcode as a number).  Takes
 * ownership of output (NULL is sent as null); err_msg NULL is null. */
struct json_object *hg_nhsa_response(int infcode, const char *inf_refmsgid,
	    const char *refmsg_time, const char *respond_time,
	    const char *err_msg, struct json_object *output);

/* --- 9001 sign-in ------------------------------------------------------ */

struct json_object *hg_nhsa_in_9001(const char *opter_no, const char *mac,
	    const char *ip);
/* output.signinoutb.sign_no (required) and sign_time (optional). */
int	hg_nhsa_out_9001(struct json_object *output,
	    char sign_no[HG_NHSA_IDBUF], char sign_time[HG_NHSA_TIMEBUF],
	    struct hg_err *err);

/* --- 1101 person info -------------------------------------------------- */

/* 就诊凭证: type 01 e-voucher token, 02 ID card, 03 social-security card
 * (card_sn required). */
struct hg_nhsa_cert {
	const char	*mdtrt_cert_type;
	const char	*mdtrt_cert_no;
	const char	*card_sn;
};

struct hg_nhsa_insuinfo {
	char	 insutype[HG_NHSA_CODEBUF];
	char	 psn_type[HG_NHSA_CODEBUF];
	char	 psn_insu_stas[HG_NHSA_CODEBUF];	/* "1" active */
	char	 insuplc_admdvs[HG_NHSA_CODEBUF];
	char	 cvlserv_flag[HG_NHSA_CODEBUF];
	char	 emp_name[HG_NHSA_NAMEBUF];
	int64_t	 balc;				/* fen */
};

struct hg_nhsa_person {
	char	 psn_no[HG_NHSA_IDBUF];
	char	 psn_name[HG_NHSA_NAMEBUF];
	char	 psn_cert_type[HG_NHSA_CODEBUF];
	char	 certno[HG_NHSA_IDBUF];
	char	 gend[HG_NHSA_CODEBUF];
	char	 naty[HG_NHSA_CODEBUF];
	char	 brdy[HG_NHSA_TIMEBUF];
	char	 age[HG_NHSA_CODEBUF];
	struct hg_nhsa_insuinfo insu[HG_NHSA_MAXINSU];
	size_t	 ninsu;
};

struct json_object *hg_nhsa_in_1101(const struct hg_nhsa_cert *cert,
	    const char *psn_cert_type, const char *certno, const char *psn_name);
int	hg_nhsa_out_1101(struct json_object *output,
	    struct hg_nhsa_person *person, struct hg_err *err);
/* The active ("1") insuinfo row for insutype, or NULL. */
const struct hg_nhsa_insuinfo *hg_nhsa_person_insu(
	    const struct hg_nhsa_person *person, const char *insutype);

/* --- 2401 admission, 2402 discharge ------------------------------------ */

/* mdtrtinfo from the bill (psn_no, insutype, adm_time, med_type (default
 * "21"), ipt_no, dept, doctor, main diagnosis) and diseinfo from its
 * diagnoses. */
struct json_object *hg_nhsa_in_2401(const struct hg_bill *bill,
	    const struct hg_nhsa_cert *cert);
/* output.result.mdtrt_id */
int	hg_nhsa_out_2401(struct json_object *output,
	    char mdtrt_id[HG_NHSA_IDBUF], struct hg_err *err);
/* dscginfo (mdtrt_id, psn_no, insutype, dscg_time, dept, dscg_way) and
 * diseinfo from the bill.  dscg_way NULL sends "1" (routine discharge). */
struct json_object *hg_nhsa_in_2402(const struct hg_bill *bill,
	    const char *dscg_way);

/* --- 2301 fee upload, 2302 fee cancel ---------------------------------- */

/* feedetail for fees [first, first + n) of the bill (bill->mdtrt_id and
 * psn_no must be set); n is clipped to what the bill has. */
struct json_object *hg_nhsa_in_2301(const struct hg_bill *bill,
	    size_t first, size_t n);

/* One feedetail item as the receiver reads it. */
struct hg_nhsa_fee_in {
	char	 feedetl_sn[HG_NHSA_IDBUF];
	char	 init_feedetl_sn[HG_NHSA_IDBUF];	/* "" unless a refund */
	char	 mdtrt_id[HG_NHSA_IDBUF];
	char	 psn_no[HG_NHSA_IDBUF];
	char	 med_type[HG_NHSA_CODEBUF];
	char	 fee_ocur_time[HG_NHSA_TIMEBUF];
	char	 med_list_codg[HG_NHSA_IDBUF];
	char	 medins_list_codg[HG_NHSA_IDBUF];
	char	 bilg_dept_codg[HG_NHSA_IDBUF];
	char	 bilg_dr_codg[HG_NHSA_IDBUF];
	int64_t	 det_item_fee_sumamt;	/* fen */
	int64_t	 cnt;			/* x10^4 */
	int64_t	 pric;			/* x10^6 */
};
/* Parse one feedetail element; required: feedetl_sn, mdtrt_id, psn_no,
 * med_type, fee_ocur_time, med_list_codg, medins_list_codg,
 * det_item_fee_sumamt, cnt, pric.  Messages name the field in Chinese as
 * the platform would ("费用明细流水号不能为空"). */
int	hg_nhsa_fee_in_parse(struct json_object *item,
	    struct hg_nhsa_fee_in *fee, struct hg_err *err);

/* One row of 2301 output.result[]. */
struct hg_nhsa_fee_result {
	char	 feedetl_sn[HG_NHSA_IDBUF];
	int64_t	 det_item_fee_sumamt;	/* fen */
	int64_t	 cnt;			/* x10^4 */
	int64_t	 pric;			/* x10^6 */
	int64_t	 pric_uplmt_amt;	/* x10^6; -1: none (sent as 999999) */
	int64_t	 selfpay_prop;		/* x10^4 */
	int64_t	 fulamt_ownpay_amt;
	int64_t	 overlmt_amt;
	int64_t	 preselfpay_amt;
	int64_t	 inscp_scp_amt;
	char	 chrgitm_lv[HG_NHSA_CODEBUF];	/* 01 甲, 02 乙, 03 丙 */
	char	 med_chrgitm_type[HG_NHSA_CODEBUF];
	char	 memo[HG_NHSA_NAMEBUF];
};
struct json_object *hg_nhsa_fee_result_json(
	    const struct hg_nhsa_fee_result *row);
/* output.result[] into a new array (*rows, caller frees; *n rows). */
int	hg_nhsa_out_2301(struct json_object *output,
	    struct hg_nhsa_fee_result **rows, size_t *n, struct hg_err *err);

/* feedetl_sn "0000" deletes every uploaded item of the visit. */
struct json_object *hg_nhsa_in_2302(const char *mdtrt_id, const char *psn_no,
	    const char *feedetl_sn);

/* --- 2303 pre-settlement, 2304 settlement ------------------------------ */

struct hg_nhsa_setl_req {
	char	 psn_no[HG_NHSA_IDBUF];
	char	 mdtrt_cert_type[HG_NHSA_CODEBUF];
	char	 mdtrt_cert_no[HG_NHSA_TEXTBUF];	/* tokens are long */
	char	 mdtrt_id[HG_NHSA_IDBUF];
	char	 insutype[HG_NHSA_CODEBUF];
	char	 psn_setlway[HG_NHSA_CODEBUF];		/* "01" */
	char	 acct_used_flag[HG_NHSA_CODEBUF];	/* "0" */
	char	 mid_setl_flag[HG_NHSA_CODEBUF];	/* "0" */
	char	 invono[HG_NHSA_IDBUF];
	int64_t	 medfee_sumamt;				/* fen */
	/* optional split the hospital believes in (sent when has_split) */
	int	 has_split;
	int64_t	 fulamt_ownpay_amt;
	int64_t	 overlmt_selfpay;
	int64_t	 preselfpay_amt;
	int64_t	 inscp_scp_amt;
};
/* {"data": {...}}; empty flags default to "01"/"0"/"0". */
struct json_object *hg_nhsa_in_setl(const struct hg_nhsa_setl_req *req);
/* The receiver reads input.data back; required: psn_no, mdtrt_cert_type,
 * medfee_sumamt, psn_setlway, mdtrt_id, insutype, acct_used_flag,
 * mid_setl_flag. */
int	hg_nhsa_setl_req_parse(struct json_object *data,
	    struct hg_nhsa_setl_req *req, struct hg_err *err);

/* One setldetail row (one per fund). */
struct hg_nhsa_setldetail {
	char	 fund_pay_type[HG_NHSA_CODEBUF];
	char	 fund_pay_type_name[HG_NHSA_NAMEBUF];
	int64_t	 inscp_scp_amt;
	int64_t	 crt_payb_lmt_amt;
	int	 has_crt_payb_lmt_amt;		/* 0: null */
	int64_t	 fund_payamt;
	char	 setl_proc_info[HG_NHSA_NAMEBUF];	/* "" is null */
};

/* setlinfo (§2) of 2303, 2304, 2305 and 5203.  Amounts are fen except
 * pool_prop_selfpay (ratio x10^4).  Strings are "" when absent. */
struct hg_nhsa_setl {
	char	 setl_id[HG_NHSA_IDBUF];	/* "" for 2303 */
	char	 mdtrt_id[HG_NHSA_IDBUF];
	char	 psn_no[HG_NHSA_IDBUF];
	char	 psn_name[HG_NHSA_NAMEBUF];
	char	 psn_cert_type[HG_NHSA_CODEBUF];
	char	 certno[HG_NHSA_IDBUF];
	char	 gend[HG_NHSA_CODEBUF];
	char	 insutype[HG_NHSA_CODEBUF];
	char	 psn_type[HG_NHSA_CODEBUF];
	char	 med_type[HG_NHSA_CODEBUF];
	char	 setl_time[HG_NHSA_TIMEBUF];
	char	 medins_setl_id[HG_NHSA_IDBUF];	/* = the 2304 request msgid */
	char	 clr_optins[HG_NHSA_CODEBUF];
	char	 clr_way[HG_NHSA_CODEBUF];
	char	 clr_type[HG_NHSA_CODEBUF];
	char	 setl_type[HG_NHSA_CODEBUF];	/* 5203/2305: "1" / "2" cancel */
	char	 refd_setl_flag[HG_NHSA_CODEBUF]; /* 5203: "1" cancelled since */
	char	 revs_flag[HG_NHSA_CODEBUF];	/* 5203 (sim): "1" reversed */
	int64_t	 medfee_sumamt;
	int64_t	 fulamt_ownpay_amt;
	int64_t	 overlmt_selfpay;
	int64_t	 preselfpay_amt;
	int64_t	 inscp_scp_amt;
	int64_t	 act_pay_dedc;
	int64_t	 hifp_pay;
	int64_t	 pool_prop_selfpay;		/* ratio x10^4 */
	int64_t	 cvlserv_pay;
	int64_t	 hifes_pay;
	int64_t	 hifmi_pay;
	int64_t	 hifob_pay;
	int64_t	 maf_pay;
	int64_t	 oth_pay;
	int64_t	 fund_pay_sumamt;
	int64_t	 psn_part_amt;
	int64_t	 acct_pay;
	int64_t	 psn_cash_pay;
	int64_t	 hosp_part_amt;
	int64_t	 balc;
	int64_t	 acct_mulaid_pay;
	struct hg_nhsa_setldetail detail[HG_NHSA_MAXDETAIL];
	size_t	 ndetail;
};

/* output {setlinfo, setldetail} into setl.  Required amounts:
 * medfee_sumamt, fund_pay_sumamt, psn_part_amt; the others read as 0 when
 * absent or null.  setldetail rows beyond HG_NHSA_MAXDETAIL are an error. */
int	hg_nhsa_out_setl(struct json_object *output, struct hg_nhsa_setl *setl,
	    struct hg_err *err);
/* The receiver's side: {"setlinfo": {...}, "setldetail": [...]} with every
 * amount as exact text ("0.00" included) and empty strings left out. */
struct json_object *hg_nhsa_setl_json(const struct hg_nhsa_setl *setl);
/* The identities of §2 "Arithmetic checks":
 *   medfee = fulamt_ownpay + overlmt_selfpay + preselfpay + inscp_scp
 *   medfee = fund_pay_sumamt + psn_part_amt + hosp_part_amt
 *   psn_part_amt = acct_pay + psn_cash_pay
 * A failure names the identity and the amounts. */
int	hg_nhsa_setl_check(const struct hg_nhsa_setl *setl,
	    struct hg_err *err);
/* Negate every amount (not the ratio, not balc) for a cancellation. */
void	hg_nhsa_setl_negate(struct hg_nhsa_setl *setl);

/* --- 2305 cancel, 2601 reversal, 5203 query ----------------------------- */

struct json_object *hg_nhsa_in_2305(const char *mdtrt_id, const char *setl_id,
	    const char *psn_no);
/* omsgid/oinfno: the msgid and infno of the call to reverse. */
struct json_object *hg_nhsa_in_2601(const char *psn_no, const char *omsgid,
	    const char *oinfno);
/* By setl_id: psn_no and setl_id are both required; there is no lookup
 * by msgid (after a lost 2304 the agent reverses it with 2601). */
struct json_object *hg_nhsa_in_5203(const char *psn_no, const char *setl_id,
	    const char *mdtrt_id);

/* --- 5201 visit query, 2404 admission cancel, 2405 discharge cancel ---- */

/* 5201 input data: psn_no (required), begntime and endtime (optional,
 * "yyyy-MM-dd HH:mm:ss"; NULL or "" leaves them out). */
struct json_object *hg_nhsa_in_5201(const char *psn_no, const char *begntime,
	    const char *endtime);
/* The receiver reads input.data back: psn_no required. */
struct hg_nhsa_visit_req {
	char	 psn_no[HG_NHSA_IDBUF];
	char	 begntime[HG_NHSA_TIMEBUF];	/* "" when not given */
	char	 endtime[HG_NHSA_TIMEBUF];
};
int	hg_nhsa_visit_req_parse(struct json_object *data,
	    struct hg_nhsa_visit_req *req, struct hg_err *err);

/* One visit (5201 output.mdtrtinfo[]).  Visits cancelled by 2404 or
 * reversed by 2601 are not listed. */
struct hg_nhsa_visit {
	char	 mdtrt_id[HG_NHSA_IDBUF];
	char	 psn_no[HG_NHSA_IDBUF];
	char	 ipt_otp_no[HG_NHSA_IDBUF];	/* = the 2401 ipt_no */
	char	 inhosp_stas[HG_NHSA_CODEBUF];	/* "1" in hospital, "0" out */
	char	 begntime[HG_NHSA_TIMEBUF];
	char	 endtime[HG_NHSA_TIMEBUF];	/* "" while in hospital */
	char	 insutype[HG_NHSA_CODEBUF];
	char	 med_type[HG_NHSA_CODEBUF];
	char	 fixmedins_code[HG_NHSA_IDBUF];
};
/* The receiver's side: one mdtrtinfo row, empty strings left out. */
struct json_object *hg_nhsa_visit_json(const struct hg_nhsa_visit *v);
/* output.mdtrtinfo[] into a new array (*rows, caller frees; *n rows).
 * Required per row: mdtrt_id, ipt_otp_no, inhosp_stas ("0" or "1");
 * an absent or null mdtrtinfo is no visit.  A failure names the row. */
int	hg_nhsa_out_5201(struct json_object *output,
	    struct hg_nhsa_visit **rows, size_t *n, struct hg_err *err);
/* The row of rows for mdtrt_id, or NULL. */
const struct hg_nhsa_visit *hg_nhsa_visit_find(
	    const struct hg_nhsa_visit *rows, size_t n, const char *mdtrt_id);

/* 2404 (admission cancel) and 2405 (discharge cancel): data {mdtrt_id,
 * psn_no}.  2404 closes an open visit with no settlement in force; 2405
 * reopens a discharged visit with no settlement in force. */
struct json_object *hg_nhsa_in_2404(const char *mdtrt_id, const char *psn_no);
struct json_object *hg_nhsa_in_2405(const char *mdtrt_id, const char *psn_no);
/* The receiver reads either back: mdtrt_id and psn_no required. */
int	hg_nhsa_visit_ref_parse(struct json_object *data,
	    char mdtrt_id[HG_NHSA_IDBUF], char psn_no[HG_NHSA_IDBUF],
	    struct hg_err *err);

/* 2601: the receiver reads input.data back (psn_no, omsgid, oinfno, all
 * required). */
int	hg_nhsa_revs_req_parse(struct json_object *data,
	    char psn_no[HG_NHSA_IDBUF], char omsgid[HG_NHSA_IDBUF],
	    char oinfno[HG_NHSA_CODEBUF], struct hg_err *err);

/* --- 3201 reconciliation ------------------------------------------------ */

struct hg_nhsa_stmt_req {
	char	 insutype[HG_NHSA_CODEBUF];
	char	 clr_type[HG_NHSA_CODEBUF];
	char	 setl_optins[HG_NHSA_CODEBUF];
	char	 stmt_begndate[HG_NHSA_TIMEBUF];	/* yyyy-MM-dd */
	char	 stmt_enddate[HG_NHSA_TIMEBUF];
	int64_t	 medfee_sumamt;
	int64_t	 fund_pay_sumamt;
	int64_t	 acct_pay;
	int64_t	 fixmedins_setl_cnt;
	char	 refd_setl_flag[HG_NHSA_CODEBUF];	/* "" net, "0", "1" */
};
struct json_object *hg_nhsa_in_3201(const struct hg_nhsa_stmt_req *req);
int	hg_nhsa_stmt_req_parse(struct json_object *data,
	    struct hg_nhsa_stmt_req *req, struct hg_err *err);

struct hg_nhsa_stmt_result {
	char	 setl_optins[HG_NHSA_CODEBUF];
	char	 stmt_rslt[HG_NHSA_CODEBUF];		/* "0" match, "1" not */
	char	 stmt_rslt_dscr[HG_NHSA_TEXTBUF];
};
int	hg_nhsa_out_3201(struct json_object *output,
	    struct hg_nhsa_stmt_result *res, struct hg_err *err);

/* --- small helpers shared by both sides --------------------------------- */

/* Copy the string (or number text) at key into buf.  Absent, null or ""
 * gives "" and fails only when `required`; too long always fails. */
int	hg_nhsa_get_str(struct json_object *obj, const char *key, char *buf,
	    size_t size, int required, struct hg_err *err);
/* The receiver's reading of a field: like hg_nhsa_get_str, failing in
 * the platform's own words with the field in brackets, e.g.
 * "人员编号[psn_no]不能为空". */
int	hg_nhsa_req_str(struct json_object *obj, const char *key,
	    const char *label, char *buf, size_t size, int required,
	    struct hg_err *err);
/* Add key: v to obj; NULL sends "". */
void	hg_nhsa_put_str(struct json_object *obj, const char *key,
	    const char *v);

#endif
