/* 3202 detail reconciliation (对明细账) and its files, both sides: the
 * hospital's settlement file uploaded with 9101, the 3202 call, and the
 * result file downloaded with 9102 (doc/sim-formats.md, "Detail
 * reconciliation").  Files are UTF-8 text, one row per line, fields
 * separated by one TAB, no header; amounts are decimal yuan ("51423.22"),
 * kept as integer fen here. */
#ifndef HG_NHSA_STMT_H
#define HG_NHSA_STMT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/nhsa.h"

/* stmt_rslt of a result row */
#define HG_STMT_MATCH		"0"	/* both sides, same amounts */
#define HG_STMT_ONLY_PLATFORM	"1"	/* in force at the platform only */
#define HG_STMT_ONLY_HOSPITAL	"2"	/* in the hospital's file only */
#define HG_STMT_AMOUNTS		"3"	/* both sides, amounts differ */

/* One settlement row.  Upload rows use the first eight fields; result
 * rows add stmt_rslt and memo (and carry the platform's amounts, or the
 * hospital's for a row only the hospital has). */
struct hg_stmt_row {
	char	 setl_id[HG_NHSA_IDBUF];
	char	 msgid[HG_NHSA_IDBUF];		/* of the 2304: medins_setl_id */
	char	 mdtrt_id[HG_NHSA_IDBUF];
	char	 psn_no[HG_NHSA_IDBUF];
	int64_t	 medfee_sumamt;
	int64_t	 fund_pay_sumamt;
	int64_t	 acct_pay;
	char	 refd_setl_flag[HG_NHSA_CODEBUF];	/* "0", or "1" cancelled */
	char	 stmt_rslt[HG_NHSA_CODEBUF];
	char	 memo[HG_NHSA_NAMEBUF];
};

struct hg_stmt_rows {
	struct hg_stmt_row *v;
	size_t	 n;
	size_t	 cap;
};

/* Append one line: 8 fields (upload) or 10 (result). */
void	hg_stmt_row_format(struct hg_buf *b, const struct hg_stmt_row *row,
	    int result);
/* Parse a whole file; errors name the file, line and field and say what
 * was expected.  Blank lines are skipped.  rows is appended to. */
int	hg_stmt_rows_parse(const char *filename, const char *text, int result,
	    struct hg_stmt_rows *rows, struct hg_err *err);
struct hg_stmt_row *hg_stmt_rows_add(struct hg_stmt_rows *rows);
void	hg_stmt_rows_free(struct hg_stmt_rows *rows);

/* 9101 file upload: input fsUploadIn {filename, in}; output
 * {file_qury_no, filename, dld_endtime}. */
struct json_object *hg_nhsa_in_9101(const char *filename, const char *text);
int	hg_nhsa_out_9101(struct json_object *output,
	    char file_qury_no[HG_NHSA_IDBUF], struct hg_err *err);

/* 3202: input data as nhsa-interface.md §2 3202; output fileinfo
 * {file_qury_no, filename, dld_endtime} naming the result file. */
struct hg_stmt_req {
	char	 setl_optins[HG_NHSA_CODEBUF];		/* "" all agencies */
	char	 clr_type[HG_NHSA_CODEBUF];		/* "" all */
	char	 file_qury_no[HG_NHSA_IDBUF];
	char	 stmt_begndate[HG_NHSA_TIMEBUF];	/* yyyy-MM-dd */
	char	 stmt_enddate[HG_NHSA_TIMEBUF];
	int64_t	 medfee_sumamt;
	int64_t	 fund_pay_sumamt;
	int64_t	 cash_payamt;
	int64_t	 fixmedins_setl_cnt;
};
struct json_object *hg_nhsa_in_3202(const struct hg_stmt_req *req);
int	hg_nhsa_stmt_detail_req_parse(struct json_object *data,
	    struct hg_stmt_req *req, struct hg_err *err);
int	hg_nhsa_out_3202(struct json_object *output,
	    char file_qury_no[HG_NHSA_IDBUF], char filename[HG_NHSA_NAMEBUF],
	    struct hg_err *err);

/* 9102 file download: input fsDownloadIn {file_qury_no, filename,
 * fixmedins_code}; output {file_qury_no, filename, out} with the file's
 * text.  *text is allocated. */
struct json_object *hg_nhsa_in_9102(const char *file_qury_no,
	    const char *filename, const char *fixmedins_code);
int	hg_nhsa_out_9102(struct json_object *output, char **text,
	    struct hg_err *err);

#endif
