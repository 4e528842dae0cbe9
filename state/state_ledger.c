/* state_ledger: the hash-chained, append-only decision ledger (see state_ledger.h).
 *
 * Every line is kept as the exact bytes read or written, beside its parsed
 * JSON, because the chain is over bytes: re-printing a parsed record would
 * not reproduce them. No descriptor is held between calls; each open or
 * append opens the file, takes its flock and closes it (which unlocks). */
#include "state_ledger.h"
#include "state_anchor.h"
#include "bg_interrupt.h"
#include "bg_error.h"
#include "bg_time.h"

#include <git2.h>
#include <openssl/crypto.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct {
	char *bytes;   /* the line without its newline, NUL-terminated */
	size_t len;
	cJSON *json;
} ledger_line;

struct state_ledger {
	char *path;
	ledger_line *lines;
	size_t n, cap;
	off_t end;      /* bytes of complete records, where the next line goes */
	char *warning;  /* NULL when none */
	const state_store *store;   /* keyed and anchored when not NULL */
};

/* What parse_line found. */
enum { LINE_OK, LINE_INCOMPLETE, LINE_NOT_OBJECT };

/* ---- small helpers ---------------------------------------------------- */

static int oom(void)
{
	return bg_error_nomem();
}

static int sys_error(const char *what, const char *path)
{
	return bg_error_set(BG_ESYS, "%s %s: %s", what, path, strerror(errno));
}

static int lock_fd(int fd, int op, const char *path)
{
	while (flock(fd, op) < 0) {
		if (errno != EINTR)
			return sys_error("cannot lock", path);
		if (bg_interrupt_requested())
			return bg_error_set(BG_EINTR, "interrupted while waiting for the lock on %s", path);
	}
	return 0;
}

static int line_hash(char out[STATE_LEDGER_HASH_HEXLEN + 1], const char *bytes, size_t len)
{
	git_oid oid;

	if (git_odb_hash(&oid, bytes, len, GIT_OBJECT_BLOB) < 0) {
		const git_error *e = git_error_last();   /* may be NULL in 1.5 */

		return bg_error_set(BG_EGIT, "hashing a ledger line: %s",
				    e && e->message ? e->message : "unknown libgit2 error");
	}
	git_oid_tostr(out, STATE_LEDGER_HASH_HEXLEN + 1, &oid);
	return 0;
}

static const char *str_field(const cJSON *rec, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(rec, name);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

static int is_gate(const cJSON *rec)
{
	const char *kind = str_field(rec, "kind");

	return kind != NULL && strcmp(kind, "gate") == 0;
}

/* Room for one more line, so that a push after a write cannot fail. */
static int reserve(state_ledger *l)
{
	ledger_line *grown;
	size_t cap;

	if (l->n < l->cap)
		return 0;
	cap = l->cap ? 2 * l->cap : 16;
	if ((grown = realloc(l->lines, cap * sizeof(*grown))) == NULL)
		return oom();
	l->lines = grown;
	l->cap = cap;
	return 0;
}

static void set_warning(state_ledger *l, char *msg)
{
	free(l->warning);
	l->warning = msg;
}

/* ---- reading ---------------------------------------------------------- */

/* Everything from `offset` to the end of the file, into a malloc'd buffer. */
static int read_from(char **out, size_t *out_len, int fd, off_t offset, const char *path)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *grown;
	ssize_t r;

	if (buf == NULL)
		return oom();
	for (;;) {
		if (len == cap) {
			if ((grown = realloc(buf, 2 * cap)) == NULL) {
				free(buf);
				return oom();
			}
			buf = grown;
			cap *= 2;
		}
		r = pread(fd, buf + len, cap - len, offset + (off_t)len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return sys_error("cannot read", path);
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*out = buf;
	*out_len = len;
	return 0;
}

/* Parses one line (NUL-terminated copy in `bytes`); *col is where parsing
 * stopped when it failed. */
static int parse_line(cJSON **out, const char *bytes, size_t len, size_t *col)
{
	const char *end = bytes;
	cJSON *json;

	if (memchr(bytes, '\0', len) != NULL) {
		*col = (size_t)((const char *)memchr(bytes, '\0', len) - bytes) + 1;
		return LINE_INCOMPLETE;
	}
	if ((json = cJSON_ParseWithOpts(bytes, &end, 1)) == NULL) {
		*col = end && end >= bytes ? (size_t)(end - bytes) + 1 : 1;
		return LINE_INCOMPLETE;
	}
	if (!cJSON_IsObject(json)) {
		cJSON_Delete(json);
		*col = 1;
		return LINE_NOT_OBJECT;
	}
	*out = json;
	return LINE_OK;
}

/* Appends the leftover, under a header with the time and offset, to
 * PATH.corrupt and fsyncs it; only then is it cut from the ledger, so a
 * crash in between leaves it in both places rather than in neither. */
static int move_aside(state_ledger *l, int fd, off_t at, const char *bytes, size_t len,
		      const char *why)
{
	char stamp[BG_TIME_UTC_SIZE], *corrupt = NULL, *header = NULL, *msg = NULL;
	int cfd = -1, error = 0, hlen;
	int needs_nl = len == 0 || bytes[len - 1] != '\n';

	bg_time_utc(stamp, sizeof(stamp));
	if (asprintf(&corrupt, "%s.corrupt", l->path) < 0) {
		corrupt = NULL;
		return oom();
	}
	hlen = asprintf(&header, "--- benchgate %s: cut from %s at offset %lld, %zu bytes (%s):\n",
			stamp, l->path, (long long)at, len, why);
	if (hlen < 0) {
		header = NULL;
		error = oom();
		goto cleanup;
	}
	if ((cfd = open(corrupt, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		error = sys_error("cannot save the incomplete last line of the ledger to", corrupt);
		goto cleanup;
	}
	if (write(cfd, header, (size_t)hlen) != hlen || write(cfd, bytes, len) != (ssize_t)len ||
	    (needs_nl && write(cfd, "\n", 1) != 1) || fsync(cfd) < 0) {
		error = sys_error("cannot write", corrupt);
		goto cleanup;
	}
	if (ftruncate(fd, at) < 0 || fsync(fd) < 0) {
		error = sys_error("cannot cut the incomplete last line from", l->path);
		goto cleanup;
	}
	if (asprintf(&msg, "%s: its last line was incomplete (%zu bytes, %s), as a crash during "
		     "an append leaves it; it was moved to %s and cut from the ledger",
		     l->path, len, why, corrupt) < 0) {
		error = oom();
		goto cleanup;
	}
	set_warning(l, msg);
cleanup:
	if (cfd >= 0)
		close(cfd);
	free(header);
	free(corrupt);
	return error;
}

/* A leftover in a ledger opened read-only: reported, ignored, kept. */
static int leave_in_place(state_ledger *l, size_t len, const char *why)
{
	char *msg;

	if (asprintf(&msg, "%s: its last line is incomplete (%zu bytes, %s), as a crash during an "
		     "append leaves it; it is ignored, not moved to %s.corrupt, because the file "
		     "is read-only here", l->path, len, why, l->path) < 0)
		return oom();
	set_warning(l, msg);
	return 0;
}

static int push_line(state_ledger *l, const char *bytes, size_t len, cJSON *json)
{
	char *copy;

	if (reserve(l) < 0 || (copy = malloc(len + 1)) == NULL) {
		cJSON_Delete(json);
		return oom();
	}
	memcpy(copy, bytes, len);
	copy[len] = '\0';
	l->lines[l->n].bytes = copy;
	l->lines[l->n].len = len;
	l->lines[l->n].json = json;
	l->n++;
	return 0;
}

static void drop_lines_from(state_ledger *l, size_t n)
{
	while (l->n > n) {
		l->n--;
		free(l->lines[l->n].bytes);
		cJSON_Delete(l->lines[l->n].json);
	}
}

/* Checks one line of the tail; LINE_OK pushes it. */
static int take_line(state_ledger *l, char *bytes, size_t len, int *kind, size_t *col)
{
	cJSON *json = NULL;
	char saved = bytes[len];
	int error = 0;

	bytes[len] = '\0';   /* the newline, or one spare byte past the buffer */
	*kind = parse_line(&json, bytes, len, col);
	if (*kind == LINE_OK)
		error = push_line(l, bytes, len, json);
	bytes[len] = saved;
	return error;
}

static int bad_line(const state_ledger *l, int kind, size_t col)
{
	return bg_error_set(BG_EPARSE,
			    "%s: line %zu is %s (at byte %zu): the ledger was edited by hand (a "
			    "crash only ever cuts the last line); restore that line from a backup "
			    "and check the chain with `benchgate log --verify`",
			    l->path, l->n + 1,
			    kind == LINE_NOT_OBJECT ? "JSON but not an object" : "not valid JSON",
			    col);
}

/* Loads the lines from l->end to the end of the file. A bad last line is a
 * crash leftover (moved aside when `writable`); any other bad line is an
 * error, and then the ledger is as it was before the call. */
static int load_tail(state_ledger *l, int fd, int writable)
{
	size_t n0 = l->n, pos = 0, len = 0, col = 0;
	char *buf = NULL, *grown;
	int error = 0, kind = LINE_OK;

	if ((error = read_from(&buf, &len, fd, l->end, l->path)) < 0)
		return error;
	if ((grown = realloc(buf, len + 1)) == NULL) {   /* room for a NUL */
		error = oom();
		goto cleanup;
	}
	buf = grown;
	while (pos < len) {
		char *nl = memchr(buf + pos, '\n', len - pos);
		size_t linelen = nl ? (size_t)(nl - (buf + pos)) : len - pos;

		if (nl == NULL) {
			kind = LINE_INCOMPLETE;
			col = linelen + 1;
		} else if ((error = take_line(l, buf + pos, linelen, &kind, &col)) < 0) {
			goto cleanup;
		}
		if (kind == LINE_OK) {
			pos += linelen + 1;
			continue;
		}
		if (kind == LINE_NOT_OBJECT || (nl != NULL && pos + linelen + 1 < len)) {
			error = bad_line(l, kind, col);
			goto cleanup;
		}
		if (writable)
			error = move_aside(l, fd, l->end + (off_t)pos, buf + pos, len - pos,
					   nl ? "not valid JSON" : "no newline at its end");
		else
			error = leave_in_place(l, len - pos, nl ? "not valid JSON" : "no newline at its end");
		break;
	}
cleanup:
	if (error < 0)
		drop_lines_from(l, n0);
	else
		l->end += (off_t)pos;
	free(buf);
	return error;
}

static int check_dir(const char *path)
{
	char *copy = strdup(path), *dir;
	struct stat st;
	int error = 0;

	if (copy == NULL)
		return oom();
	dir = dirname(copy);
	if (stat(dir, &st) < 0)
		error = bg_error_set(BG_ESYS, "cannot use the ledger %s: its directory %s: %s; "
				     "create it, or run inside the repository", path, dir,
				     strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		error = bg_error_set(BG_ESYS, "cannot use the ledger %s: %s is not a directory",
				     path, dir);
	free(copy);
	return error;
}

int state_ledger_open(state_ledger **out, const char *path)
{
	state_ledger *l = calloc(1, sizeof(*l));
	int fd = -1, writable = 1, error = 0;

	if (l == NULL || (l->path = strdup(path)) == NULL) {
		error = oom();
		goto cleanup;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && (errno == EACCES || errno == EROFS)) {
		writable = 0;
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		if (errno != ENOENT)
			error = sys_error("cannot open the ledger", path);
		else
			error = check_dir(path);   /* a missing file is an empty ledger */
		goto cleanup;
	}
	if ((error = lock_fd(fd, writable ? LOCK_EX : LOCK_SH, path)) < 0)
		goto cleanup;
	error = load_tail(l, fd, writable);
cleanup:
	if (fd >= 0)
		close(fd);
	if (error < 0) {
		state_ledger_free(l);
		return error;
	}
	*out = l;
	return 0;
}

int state_ledger_load(state_ledger **out, const state_store *s)
{
	char *path = NULL, mac[STATE_MAC_HEXLEN + 1];
	int error;

	/* the key exists before any sandbox runs, so every one hides it
	 * (a sandbox cannot hide what is not there yet) */
	if ((error = state_mac(mac, "", 0, 1)) < 0 || (error = state_path(&path, s, STATE_LEDGER)) < 0)
		return error;
	error = state_ledger_open(out, path);
	free(path);
	if (error == 0)
		(*out)->store = s;
	return error;
}

void state_ledger_free(state_ledger *l)
{
	if (l == NULL)
		return;
	drop_lines_from(l, 0);
	free(l->lines);
	free(l->warning);
	free(l->path);
	free(l);
}

const char *state_ledger_warning(const state_ledger *l)
{
	return l->warning ? l->warning : "";
}

const char *state_ledger_path(const state_ledger *l)
{
	return l->path;
}

size_t state_ledger_count(const state_ledger *l)
{
	return l->n;
}

const cJSON *state_ledger_record(const state_ledger *l, size_t i)
{
	return i < l->n ? l->lines[i].json : NULL;
}

/* ---- appending -------------------------------------------------------- */

static int check_record(const cJSON *record)
{
	if (!cJSON_IsObject(record))
		return bg_error_set(BG_EINVAL, "a ledger record must be a JSON object");
	if (str_field(record, "kind") == NULL)
		return bg_error_set(BG_EINVAL, "a ledger record needs a string \"kind\" (\"gate\" for "
				    "a gate decision)");
	if (cJSON_HasObjectItem(record, "seq") || cJSON_HasObjectItem(record, "prev") ||
	    cJSON_HasObjectItem(record, "mac"))
		return bg_error_set(BG_EINVAL, "a ledger record must not carry \"seq\", \"prev\" or "
				    "\"mac\": the ledger adds them when it appends");
	return 0;
}

/* Opens for appending; *created says whether this call made the file. */
static int open_append(int *out, int *created, const char *path)
{
	int fd;

	for (;;) {
		if ((fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC)) >= 0) {
			*created = 0;
			break;
		}
		if (errno != ENOENT)
			return sys_error("cannot open for appending the ledger", path);
		fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd >= 0) {
			*created = 1;
			break;
		}
		if (errno != EEXIST)
			return sys_error("cannot create the ledger", path);
	}
	*out = fd;
	return 0;
}

/* Makes a new file's directory entry durable. */
static int fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, error = 0;

	if (copy == NULL)
		return oom();
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fsync(fd) < 0)
		error = sys_error("cannot sync the directory of the ledger", path);
	if (fd >= 0)
		close(fd);
	free(copy);
	return error;
}

/* Under the lock: catches up with lines other processes appended. */
static int sync_tail(state_ledger *l, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return sys_error("cannot stat the ledger", l->path);
	if (st.st_size < l->end)
		return bg_error_set(BG_EPARSE, "%s is %lld bytes, shorter than the %lld it had when "
				    "it was read: lines were removed by hand; check it with "
				    "`benchgate log --verify`", l->path, (long long)st.st_size,
				    (long long)l->end);
	return st.st_size > l->end ? load_tail(l, fd, 1) : 0;
}

/* A new object holding seq and prev, then every member of `record`, moved
 * (so record is left empty): with cJSON 1.7.15, moving a member to the
 * front with DetachItemViaPointer + InsertItemInArray lost members. */
static int stamp(cJSON **out, cJSON *record, const state_ledger *l)
{
	char prev[STATE_LEDGER_HASH_HEXLEN + 1];
	const ledger_line *last = l->n ? &l->lines[l->n - 1] : NULL;
	cJSON *obj;
	int error;

	if (last && (error = line_hash(prev, last->bytes, last->len)) < 0)
		return error;
	if ((obj = cJSON_CreateObject()) == NULL ||
	    cJSON_AddNumberToObject(obj, "seq", (double)(l->n + 1)) == NULL ||
	    (last ? cJSON_AddStringToObject(obj, "prev", prev) : cJSON_AddNullToObject(obj, "prev")) == NULL) {
		cJSON_Delete(obj);
		return oom();
	}
	while (record->child != NULL)
		cJSON_AddItemToArray(obj, cJSON_DetachItemViaPointer(record, record->child));
	*out = obj;
	return 0;
}

/* The record as one line, newline included (caller frees). */
static int print_line(char **out, size_t *out_len, const cJSON *record)
{
	char *text, *line;
	size_t len;

	if ((text = cJSON_PrintUnformatted(record)) == NULL)
		return oom();
	len = strlen(text);
	if ((line = malloc(len + 2)) == NULL) {
		cJSON_free(text);
		return oom();
	}
	memcpy(line, text, len);
	line[len] = '\n';
	line[len + 1] = '\0';
	cJSON_free(text);
	*out = line;
	*out_len = len + 1;
	return 0;
}

/* ---- MACs ------------------------------------------------------------- */

/* A keyed line ends in ,"mac":"<64 hex>"} and its MAC covers the line
 * without that member: the bytes before it and the closing brace. */
#define MAC_HEAD ",\"mac\":\""
#define MAC_SUFFIX_LEN (sizeof(MAC_HEAD) - 1 + STATE_MAC_HEXLEN + 2)

/* The MAC a keyed line carries (borrowed, not NUL-terminated: 64 hex),
 * NULL when the line carries none; *body = the bytes before it. */
static const char *line_mac(const char *bytes, size_t len, size_t *body)
{
	const char *mac = bytes + len - STATE_MAC_HEXLEN - 2;

	if (len <= MAC_SUFFIX_LEN || memcmp(bytes + len - MAC_SUFFIX_LEN, MAC_HEAD, sizeof(MAC_HEAD) - 1) != 0 ||
	    bytes[len - 2] != '"' || bytes[len - 1] != '}')
		return NULL;
	for (size_t i = 0; i < STATE_MAC_HEXLEN; i++)
		if (!((mac[i] >= '0' && mac[i] <= '9') || (mac[i] >= 'a' && mac[i] <= 'f')))
			return NULL;
	*body = len - MAC_SUFFIX_LEN;
	return mac;
}

/* out = the MAC of the body bytes closed by '}' (create: make the key). */
static int body_mac(char out[STATE_MAC_HEXLEN + 1], const char *bytes, size_t body, int create)
{
	char *text = malloc(body + 1);
	int error;

	if (text == NULL)
		return oom();
	memcpy(text, bytes, body);
	text[body] = '}';
	error = state_mac(out, text, body + 1, create);
	free(text);
	return error;
}

/* line (len bytes, "}\n" at the end) with ,"mac":"..." put before its
 * closing brace: *line and *len replaced. */
static int add_mac(char **line, size_t *len)
{
	char mac[STATE_MAC_HEXLEN + 1], *keyed;
	size_t body = *len - 2;   /* without "}\n" */
	int error;

	if ((error = body_mac(mac, *line, body, 1)) < 0)
		return error;
	if ((keyed = malloc(*len + MAC_SUFFIX_LEN + 1)) == NULL)
		return oom();
	memcpy(keyed, *line, body);
	snprintf(keyed + body, MAC_SUFFIX_LEN + 3, MAC_HEAD "%s\"}\n", mac);
	free(*line);
	*line = keyed;
	*len = body + MAC_SUFFIX_LEN + 1;
	return 0;
}

/* The anchor follows the last record: its seq and hash. */
static int anchor_head(const state_ledger *l, const char hash[STATE_LEDGER_HASH_HEXLEN + 1])
{
	char seq[32];

	snprintf(seq, sizeof(seq), "%zu", l->n);
	return state_anchor_set(l->store, "ledger", (const char *const[]){ "seq", seq, "head", hash, NULL });
}

/* One write() of the whole line, then fsync. On failure the file is cut
 * back to l->end, so a failed append leaves no partial line behind. */
static int write_line(const state_ledger *l, int fd, const char *line, size_t len)
{
	ssize_t w;
	int error;

	do
		w = write(fd, line, len);
	while (w < 0 && errno == EINTR);
	if (w == (ssize_t)len && fsync(fd) == 0)
		return 0;
	if (w >= 0 && w < (ssize_t)len)
		error = bg_error_set(BG_ESYS, "cannot append to %s: only %zd of %zu bytes written "
				     "(disk full?)", l->path, w, len);
	else
		error = sys_error("cannot append to", l->path);
	if (w > 0 && ftruncate(fd, l->end) == 0)
		fsync(fd);
	return error;
}

int state_ledger_append(state_ledger *l, cJSON *record, char out_hash[STATE_LEDGER_HASH_HEXLEN + 1])
{
	char hash[STATE_LEDGER_HASH_HEXLEN + 1], *line = NULL;
	cJSON *json, *stamped = NULL;
	size_t len = 0;
	int fd = -1, created = 0, error;

	if ((error = check_record(record)) < 0 ||
	    (error = open_append(&fd, &created, l->path)) < 0 ||
	    (error = lock_fd(fd, LOCK_EX, l->path)) < 0 ||
	    (created && (error = fsync_dir(l->path)) < 0) ||
	    (error = sync_tail(l, fd)) < 0 ||
	    (error = stamp(&stamped, record, l)) < 0 ||
	    (error = print_line(&line, &len, stamped)) < 0 ||
	    (l->store && (error = add_mac(&line, &len)) < 0) ||
	    (error = line_hash(hash, line, len - 1)) < 0 ||
	    (error = reserve(l)) < 0 ||
	    (error = write_line(l, fd, line, len)) < 0)
		goto cleanup;
	/* Keep what a reopen would read (cJSON prints NaN as null, say). */
	line[len - 1] = '\0';
	if ((json = cJSON_Parse(line)) != NULL) {
		cJSON_Delete(stamped);
		stamped = json;
	}
	l->lines[l->n].bytes = line;
	l->lines[l->n].len = len - 1;
	l->lines[l->n].json = stamped;
	l->n++;
	l->end += (off_t)len;
	line = NULL;
	stamped = NULL;
	if (out_hash != NULL)
		memcpy(out_hash, hash, sizeof(hash));
	if (l->store)
		error = anchor_head(l, hash);
cleanup:
	if (fd >= 0)
		close(fd);   /* releases the lock */
	free(line);
	cJSON_Delete(stamped);
	cJSON_Delete(record);
	return error;
}

/* ---- reading the chain ------------------------------------------------ */

/* The record's "seq" when it is a positive integer, else 0. */
static size_t seq_of(const cJSON *rec)
{
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(rec, "seq");
	double v = cJSON_IsNumber(seq) ? seq->valuedouble : 0;

	return v >= 1 && v <= 9007199254740992.0 && v == (double)(uint64_t)v ? (size_t)v : 0;
}

/* NULL when line i is chained correctly, else a message (or *error). */
static char *check_link(const state_ledger *l, size_t i, int *error)
{
	const cJSON *prev = cJSON_GetObjectItemCaseSensitive(l->lines[i].json, "prev");
	char want[STATE_LEDGER_HASH_HEXLEN + 1], *msg = NULL;
	size_t seq = seq_of(l->lines[i].json);
	int r = 0;

	if (seq != i + 1 && seq != 0)
		r = asprintf(&msg, "line %zu: \"seq\" is %zu where %zu was expected: a record was "
			     "deleted, inserted or moved", i + 1, seq, i + 1);
	else if (seq != i + 1)
		r = asprintf(&msg, "line %zu: \"seq\" is missing or not a positive integer", i + 1);
	else if (i == 0 && !cJSON_IsNull(prev))
		r = asprintf(&msg, "line 1: \"prev\" should be null on the first record");
	else if (i > 0 && (*error = line_hash(want, l->lines[i - 1].bytes, l->lines[i - 1].len)) < 0)
		return NULL;
	else if (i > 0 && !(cJSON_IsString(prev) && strcmp(prev->valuestring, want) == 0))
		r = asprintf(&msg, "line %zu (seq %zu): \"prev\" is %s but line %zu hashes to %s: line "
			     "%zu was changed after it was written", i + 1, seq,
			     cJSON_IsString(prev) ? prev->valuestring : "not a hash", i, want, i);
	if (r < 0) {
		*error = oom();
		return NULL;
	}
	return msg;
}

/* NULL when line i carries a MAC that matches or none (*keyed says
 * which), else a message (or *error; a missing key is a message too).
 * first: no line before has a matching MAC, so another key may be why. */
static char *check_mac(const state_ledger *l, size_t i, int first, int *keyed, int *error)
{
	const ledger_line *ln = &l->lines[i];
	char want[STATE_MAC_HEXLEN + 1], *msg = NULL;
	size_t body;
	const char *mac = line_mac(ln->bytes, ln->len, &body);
	int r = 0, e;

	*keyed = mac != NULL;
	if (mac == NULL)
		return NULL;
	if ((e = body_mac(want, ln->bytes, body, 0)) == BG_ENOTFOUND)
		r = asprintf(&msg, "line %zu carries a MAC but it cannot be checked: %s", i + 1, bg_error_last());
	else if (e < 0)
		*error = e;
	else if (CRYPTO_memcmp(want, mac, STATE_MAC_HEXLEN) != 0)
		r = asprintf(&msg, first ? "line %zu: its MAC does not match: the record was changed outside "
				   "benchgate, or the ledger was written under another key than yours (another "
				   "user or machine; or a sandbox hides your key: inside `benchgate shield`, "
				   "leave $BENCHGATE_SHIELD set)"
				 : "line %zu: its MAC does not match: the record was changed or written "
				   "outside benchgate", i + 1);
	if (r < 0)
		*error = oom();
	return msg;
}

/* The last line, from the end, that is a "reanchor" record with a MAC that
 * matches (the lines before it were accepted as they were), else 0. */
static size_t last_reanchor(const state_ledger *l)
{
	for (size_t i = l->n; i-- > 0;) {
		const char *kind = str_field(l->lines[i].json, "kind");
		int keyed = 0, error = 0;
		char *msg;

		if (kind == NULL || strcmp(kind, "reanchor") != 0)
			continue;
		msg = check_mac(l, i, 0, &keyed, &error);
		free(msg);
		if (msg == NULL && error == 0 && keyed)
			return i;
	}
	return 0;
}

/* The chain and MACs of lines from..n-1: NULL or a message (or *error).
 * Once a line carries a MAC, every later one must. */
static char *check_lines(const state_ledger *l, size_t from, size_t *bad, int *error)
{
	int keyed_seen = 0;

	for (size_t i = from; i < l->n; i++) {
		int keyed = 0;
		char *msg = check_link(l, i, error);

		if (msg == NULL && *error == 0 && l->store) {
			msg = check_mac(l, i, !keyed_seen, &keyed, error);
			if (msg == NULL && *error == 0 && !keyed && keyed_seen &&
			    asprintf(&msg, "line %zu carries no MAC though the records before it do: it was "
				     "written outside benchgate", i + 1) < 0)
				*error = oom();
			keyed_seen |= keyed;
		}
		if (*error < 0 || msg != NULL) {
			size_t seq = seq_of(l->lines[i].json);

			*bad = seq ? seq : i + 1;
			return msg;
		}
	}
	return NULL;
}

/* The ledger against its anchor: NULL or a message (or *error). */
static char *check_anchor(const state_ledger *l, size_t *bad, int *error)
{
	char *path = NULL, *msg = NULL, hash[STATE_LEDGER_HASH_HEXLEN + 1];
	cJSON *a = NULL;
	const char *seq_s, *head;
	size_t seq;
	int r = 0;

	if ((*error = state_anchor_read(&a, &path, l->store)) == BG_EPARSE) {
		*error = 0;
		*bad = l->n ? l->n : 1;
		return strdup(bg_error_last());
	}
	seq_s = state_anchor_get(a, "ledger", "seq");
	head = state_anchor_get(a, "ledger", "head");
	seq = seq_s ? strtoul(seq_s, NULL, 10) : 0;
	if (*error < 0 || seq == 0 || head == NULL)
		goto done;
	if (seq > l->n) {
		*bad = l->n + 1;
		r = seq == l->n + 1 ?
			asprintf(&msg, "the ledger has %zu record%s but benchgate wrote %zu (anchor %s): record "
				 "%zu was deleted", l->n, l->n == 1 ? "" : "s", seq, path, seq) :
			asprintf(&msg, "the ledger has %zu record%s but benchgate wrote %zu (anchor %s): records "
				 "%zu to %zu were deleted", l->n, l->n == 1 ? "" : "s", seq, path, l->n + 1, seq);
	} else if ((*error = line_hash(hash, l->lines[seq - 1].bytes, l->lines[seq - 1].len)) == 0 &&
		   strcmp(hash, head) != 0) {
		*bad = seq;
		r = asprintf(&msg, "record %zu is not the one benchgate wrote (anchor %s): the ledger was "
			     "rewritten", seq, path);
	}
	if (r < 0)
		*error = oom();
done:
	cJSON_Delete(a);
	free(path);
	return msg;
}

int state_ledger_verify(const state_ledger *l, size_t *bad_seq, char **why)
{
	size_t bad = 0;
	int error = 0;
	char *msg = check_lines(l, l->store ? last_reanchor(l) : 0, &bad, &error);

	if (msg == NULL && error == 0 && l->store)
		msg = check_anchor(l, &bad, &error);
	if (error < 0) {
		free(msg);
		return error;
	}
	*bad_seq = msg ? bad : 0;
	*why = msg;
	return 0;
}

static int is_commit_id(const char *s)
{
	if (s == NULL || strlen(s) != STATE_LEDGER_HASH_HEXLEN)
		return 0;
	return strspn(s, "0123456789abcdef") == STATE_LEDGER_HASH_HEXLEN;
}

int state_ledger_last_kept(char out[STATE_LEDGER_HASH_HEXLEN + 1], size_t *seq, const state_ledger *l,
			   const char *branch)
{
	for (size_t i = l->n; i-- > 0;) {
		const cJSON *rec = l->lines[i].json;
		const char *verdict = str_field(rec, "verdict"), *b = str_field(rec, "branch");
		const char *cand = str_field(rec, "candidate");

		const char *kind = str_field(rec, "kind");

		/* an "adopt" record: the commit a loop made of a gated snapshot */
		if (!(is_gate(rec) || (kind && strcmp(kind, "adopt") == 0)) || !verdict || strcmp(verdict, "KEEP") != 0 || !b ||
		    strcmp(b, branch) != 0 || cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(rec, "sets_baseline")))
			continue;
		if (!is_commit_id(cand))
			return bg_error_set(BG_EPARSE, "%s: line %zu keeps a change on %s but its "
					    "\"candidate\" is not a 40-hex commit id", l->path,
					    i + 1, branch);
		memcpy(out, cand, STATE_LEDGER_HASH_HEXLEN + 1);
		*seq = i + 1;
		return 0;
	}
	return bg_error_set(BG_ENOTFOUND, "%s: no change was kept on branch %s", l->path, branch);
}

int state_ledger_decisions(int **kept, size_t *n, const state_ledger *l)
{
	int *out = NULL;
	size_t k = 0;

	if (l->n > 0 && (out = malloc(l->n * sizeof(*out))) == NULL)
		return oom();
	for (size_t i = 0; i < l->n; i++) {
		const cJSON *rec = l->lines[i].json;
		const cJSON *verdict = cJSON_GetObjectItemCaseSensitive(rec, "verdict");

		const cJSON *tested = cJSON_GetObjectItemCaseSensitive(rec, "tested");

		/* A decision vetoed before any measurement tested nothing. */
		if (!is_gate(rec) || verdict == NULL || cJSON_IsFalse(tested))
			continue;
		if (!cJSON_IsString(verdict)) {
			free(out);
			return bg_error_set(BG_EPARSE, "%s: line %zu is a gate decision whose "
					    "\"verdict\" is not a string", l->path, i + 1);
		}
		out[k++] = strcmp(verdict->valuestring, "KEEP") == 0;
	}
	if (k == 0) {
		free(out);
		out = NULL;
	}
	*kept = out;
	*n = k;
	return 0;
}
