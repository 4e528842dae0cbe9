/* grd_holdout: sealing the held-out workloads, their failure budget, and
 * the held-out verdict (see grd_holdout.h). */
#include "grd_holdout.h"
#include "bg_error.h"
#include "bg_file.h"
#include "bg_time.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <git2.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define RESEAL_FIX "restore it, or reseal with `benchgate holdout --reseal` after " \
	"refreshing the held-out workloads"
#define MAX_NAMED 5

/* ---- the file list -------------------------------------------------------- */

typedef struct {
	char *rel;                      /* path relative to the sealed directory */
	char hash[GIT_OID_HEXSZ + 1];
} seal_file;

typedef struct {
	seal_file *v;
	size_t n, cap;
} seal_files;

/* What to leave out of the walk: the seal file itself (by device/inode). */
typedef struct {
	int active;
	dev_t dev;
	ino_t ino;
} walk_skip;

static void files_clear(seal_files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->v[i].rel);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static int files_add(seal_files *f, const char *rel, const char *hash)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		seal_file *v = realloc(f->v, cap * sizeof(*v));

		if (v == NULL)
			return bg_error_nomem();
		f->v = v;
		f->cap = cap;
	}
	if ((f->v[f->n].rel = strdup(rel)) == NULL)
		return bg_error_nomem();
	snprintf(f->v[f->n].hash, sizeof(f->v[f->n].hash), "%s", hash);
	f->n++;
	return 0;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const seal_file *)a)->rel, ((const seal_file *)b)->rel);
}

static int hash_file(seal_files *f, const char *full, const char *rel)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid oid;

	if (git_odb_hashfile(&oid, full, GIT_OBJECT_BLOB) < 0) {
		const git_error *e = git_error_last();

		return bg_error_set(BG_EGIT, "cannot hash held-out file %s: %s", full,
				    e && e->message ? e->message : "unknown libgit2 error");
	}
	git_oid_tostr(hex, sizeof(hex), &oid);
	return files_add(f, rel, hex);
}

static char *path_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);

	if (p == NULL)
		bg_error_nomem();
	else if (a[0] == '\0')
		snprintf(p, n, "%s", b);
	else
		snprintf(p, n, "%s/%s", a, b);
	return p;
}

static int walk_dir(seal_files *f, const char *root, const char *rel, const walk_skip *skip);

/* One directory entry: recurse into a real directory, hash a regular file
 * (through a symlink too), ignore the rest. */
static int walk_entry(seal_files *f, const char *root, const char *rel, const walk_skip *skip)
{
	struct stat st;
	char *full = path_join(root, rel);
	int error = 0;

	if (full == NULL)
		return BG_ENOMEM;
	if (lstat(full, &st) < 0) {
		error = bg_error_set(BG_ESYS, "cannot read held-out file %s: %s", full, strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		error = walk_dir(f, root, rel, skip);
	} else if (S_ISLNK(st.st_mode) && stat(full, &st) < 0) {
		error = 0;   /* a dangling link holds no workload */
	} else if (S_ISREG(st.st_mode) &&
		   !(skip->active && st.st_dev == skip->dev && st.st_ino == skip->ino)) {
		error = hash_file(f, full, rel);
	}
	free(full);
	return error;
}

static int walk_dir(seal_files *f, const char *root, const char *rel, const walk_skip *skip)
{
	char *full = path_join(root, rel), *child;
	struct dirent *d;
	DIR *dir = NULL;
	int error = 0;

	if (full == NULL)
		return BG_ENOMEM;
	if ((dir = opendir(full)) == NULL) {
		error = bg_error_set(BG_ESYS, "cannot read held-out directory %s: %s", full,
				     strerror(errno));
		goto cleanup;
	}
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if ((child = path_join(rel, d->d_name)) == NULL) {
			error = BG_ENOMEM;
			goto cleanup;
		}
		error = walk_entry(f, root, child, skip);
		free(child);
		if (error < 0)
			goto cleanup;
	}
cleanup:
	if (dir != NULL)
		closedir(dir);
	free(full);
	return error;
}

/* The absolute path of dir, or an error naming it. */
static int dir_resolve(char **abs, const char *dir)
{
	struct stat st;
	char *p;

	if (dir == NULL || dir[0] == '\0')
		return bg_error_set(BG_EINVAL, "no held-out directory given: set holdout.dir");
	if (stat(dir, &st) < 0 && (errno == ENOENT || errno == ENOTDIR))
		return bg_error_set(BG_ENOTFOUND, "the held-out directory %s does not exist: create "
				    "it with the held-out workloads, or fix holdout.dir", dir);
	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
		return bg_error_set(BG_EINVAL, "the held-out path %s is not a directory", dir);
	if ((p = realpath(dir, NULL)) == NULL)
		return bg_error_set(BG_ESYS, "cannot resolve the held-out directory %s: %s", dir,
				    strerror(errno));
	*abs = p;
	return 0;
}

/* Every file under abs_dir, hashed and sorted by relative path. */
static int files_scan(seal_files *out, const char *abs_dir, const char *seal_path)
{
	seal_files f = { NULL, 0, 0 };
	walk_skip skip = { 0, 0, 0 };
	struct stat st;
	int error;

	if (stat(seal_path, &st) == 0) {
		skip.active = 1;
		skip.dev = st.st_dev;
		skip.ino = st.st_ino;
	}
	if ((error = walk_dir(&f, abs_dir, "", &skip)) < 0) {
		files_clear(&f);
		return error;
	}
	qsort(f.v, f.n, sizeof(*f.v), cmp_file);
	*out = f;
	return 0;
}

/* ---- the seal file -------------------------------------------------------- */

/* The seal document for files. */
static cJSON *seal_json(const char *abs_dir, const seal_files *f, unsigned budget,
			unsigned spent, const char *sealed_at)
{
	cJSON *doc = cJSON_CreateObject(), *files;
	size_t i;

	if (doc == NULL || cJSON_AddStringToObject(doc, "dir", abs_dir) == NULL ||
	    (files = cJSON_AddObjectToObject(doc, "files")) == NULL)
		goto fail;
	for (i = 0; i < f->n; i++)
		if (cJSON_AddStringToObject(files, f->v[i].rel, f->v[i].hash) == NULL)
			goto fail;
	if (cJSON_AddNumberToObject(doc, "budget", budget) == NULL ||
	    cJSON_AddNumberToObject(doc, "spent", spent) == NULL ||
	    cJSON_AddStringToObject(doc, "sealed_at", sealed_at) == NULL)
		goto fail;
	return doc;
fail:
	cJSON_Delete(doc);
	bg_error_nomem();
	return NULL;
}

static int json_write(const char *path, const cJSON *doc)
{
	char *text = cJSON_Print(doc);
	int error;

	if (text == NULL)
		return bg_error_nomem();
	error = bg_file_write_atomic(path, text);
	free(text);
	return error;
}

static int bad_seal(const char *seal_path, const char *what)
{
	return bg_error_set(BG_EPARSE, "%s is not a valid holdout seal (%s): reseal with "
			    "`benchgate holdout --reseal`", seal_path, what);
}

/* A JSON count that fits an unsigned. */
static int json_unsigned(unsigned *out, const cJSON *doc, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(doc, key);
	double v;

	if (!cJSON_IsNumber(it))
		return -1;
	v = it->valuedouble;
	if (!(v >= 0 && v <= (double)UINT_MAX && v == floor(v)))
		return -1;
	*out = (unsigned)v;
	return 0;
}

typedef struct {
	cJSON *doc;
	unsigned budget, spent;
	seal_files files;   /* sorted */
} seal_doc;

static void seal_doc_clear(seal_doc *sd)
{
	cJSON_Delete(sd->doc);
	files_clear(&sd->files);
	memset(sd, 0, sizeof(*sd));
}

/* Reads and checks the seal at seal_path, collecting its file list.
 * Errors: those of bg_file_read, BG_EPARSE. */
static int seal_doc_load(seal_doc *sd, const char *seal_path)
{
	const cJSON *files = NULL, *list, *it;
	size_t len;
	char *text;
	int error = 0;

	memset(sd, 0, sizeof(*sd));
	if ((text = bg_file_read(seal_path, &len)) == NULL)
		return bg_error_code();
	sd->doc = cJSON_ParseWithLength(text, len);
	free(text);
	if (!cJSON_IsObject(sd->doc))
		error = bad_seal(seal_path, "not a JSON object");
	else if (json_unsigned(&sd->budget, sd->doc, "budget") < 0 ||
		 json_unsigned(&sd->spent, sd->doc, "spent") < 0)
		error = bad_seal(seal_path, "\"budget\" and \"spent\" must be counts");
	else if (!cJSON_IsObject(files = cJSON_GetObjectItemCaseSensitive(sd->doc, "files")))
		error = bad_seal(seal_path, "\"files\" must be an object");
	list = error == 0 ? files : NULL;
	cJSON_ArrayForEach(it, list) {
		if (!cJSON_IsString(it) || strlen(it->valuestring) != GIT_OID_HEXSZ ||
		    strspn(it->valuestring, "0123456789abcdef") != GIT_OID_HEXSZ) {
			error = bad_seal(seal_path, "a file's hash is not a hex object id");
			break;
		}
		if ((error = files_add(&sd->files, it->string, it->valuestring)) < 0)
			break;
	}
	if (error < 0) {
		seal_doc_clear(sd);
		return error;
	}
	qsort(sd->files.v, sd->files.n, sizeof(*sd->files.v), cmp_file);
	return 0;
}

/* ---- comparing ------------------------------------------------------------ */

typedef struct {
	char text[1024];
	size_t len;
	size_t named, more;
} diff_msg;

static void diff_note(diff_msg *m, const char *rel, const char *what)
{
	int w;

	if (m->named == MAX_NAMED) {
		m->more++;
		return;
	}
	w = snprintf(m->text + m->len, sizeof(m->text) - m->len, "%s%s (%s)",
		     m->named ? ", " : "", rel, what);
	if (w > 0)
		m->len = m->len + (size_t)w < sizeof(m->text) ? m->len + (size_t)w : sizeof(m->text) - 1;
	m->named++;
}

/* Merges the two sorted lists; fills m with what differs. */
static void files_diff(diff_msg *m, const seal_files *sealed, const seal_files *now)
{
	size_t i = 0, j = 0;

	while (i < sealed->n || j < now->n) {
		int c = i == sealed->n ? 1 : j == now->n ? -1 :
			strcmp(sealed->v[i].rel, now->v[j].rel);

		if (c < 0) {
			diff_note(m, sealed->v[i++].rel, "missing");
		} else if (c > 0) {
			diff_note(m, now->v[j++].rel, "added");
		} else {
			if (strcmp(sealed->v[i].hash, now->v[j].hash) != 0)
				diff_note(m, now->v[j].rel, "changed");
			i++;
			j++;
		}
	}
}

static int seal_verify(const seal_doc *sd, const seal_files *now, const char *abs_dir,
		       const char *seal_path)
{
	const cJSON *sealed_dir = cJSON_GetObjectItemCaseSensitive(sd->doc, "dir");
	diff_msg m;
	char from[PATH_MAX + 32] = "";

	memset(&m, 0, sizeof(m));
	files_diff(&m, &sd->files, now);
	if (m.named == 0)
		return 0;
	if (cJSON_IsString(sealed_dir) && strcmp(sealed_dir->valuestring, abs_dir) != 0)
		snprintf(from, sizeof(from), " (sealed from %s)", sealed_dir->valuestring);
	if (m.more > 0)
		return bg_error_set(BG_EINVAL, "the held-out workloads in %s differ from their seal "
				    "%s%s: %s and %zu more: " RESEAL_FIX, abs_dir, seal_path, from,
				    m.text, m.more);
	return bg_error_set(BG_EINVAL, "the held-out workloads in %s differ from their seal %s%s: "
			    "%s: " RESEAL_FIX, abs_dir, seal_path, from, m.text);
}

/* ---- public --------------------------------------------------------------- */

static grd_seal *seal_new(const char *abs_dir, const char *sealed_at, unsigned budget,
			  unsigned spent, size_t nfiles, int created)
{
	grd_seal *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->dir = strdup(abs_dir)) == NULL ||
	    (s->sealed_at = strdup(sealed_at)) == NULL) {
		grd_seal_free(s);
		bg_error_nomem();
		return NULL;
	}
	s->budget = budget;
	s->spent = spent;
	s->nfiles = nfiles;
	s->created = created;
	return s;
}

/* Writes a fresh seal of `now`; *sealed_at gets its time (owned). */
static int seal_write(char **sealed_at, const char *abs_dir, const seal_files *now,
		      const char *seal_path, unsigned budget)
{
	char stamp[BG_TIME_UTC_SIZE], *when;
	cJSON *doc;
	int error;

	bg_time_utc(stamp, sizeof(stamp));
	if ((when = strdup(stamp)) == NULL)
		return bg_error_nomem();
	if ((doc = seal_json(abs_dir, now, budget, 0, when)) == NULL) {
		free(when);
		return BG_ENOMEM;
	}
	error = json_write(seal_path, doc);
	cJSON_Delete(doc);
	if (error < 0)
		free(when);
	else
		*sealed_at = when;
	return error;
}

int grd_holdout_seal(grd_seal **out, const char *dir, const char *seal_path, unsigned budget)
{
	seal_files now = { NULL, 0, 0 };
	seal_doc sd;
	char *abs_dir = NULL, *when = NULL;
	const cJSON *at;
	grd_seal *s = NULL;
	int error;

	memset(&sd, 0, sizeof(sd));
	if (out == NULL || seal_path == NULL)
		return bg_error_set(BG_EINVAL, "grd_holdout_seal: missing argument");
	if ((error = dir_resolve(&abs_dir, dir)) < 0 ||
	    (error = files_scan(&now, abs_dir, seal_path)) < 0)
		goto cleanup;
	error = seal_doc_load(&sd, seal_path);
	if (error == BG_ENOTFOUND) {
		if ((error = seal_write(&when, abs_dir, &now, seal_path, budget)) < 0)
			goto cleanup;
		s = seal_new(abs_dir, when, budget, 0, now.n, 1);
	} else if (error == 0) {
		if ((error = seal_verify(&sd, &now, abs_dir, seal_path)) < 0)
			goto cleanup;
		at = cJSON_GetObjectItemCaseSensitive(sd.doc, "sealed_at");
		s = seal_new(abs_dir, cJSON_IsString(at) ? at->valuestring : "unknown",
			     sd.budget, sd.spent, now.n, 0);
	}
	if (error == 0 && s == NULL)
		error = BG_ENOMEM;
	if (error == 0)
		*out = s;
cleanup:
	seal_doc_clear(&sd);
	files_clear(&now);
	free(abs_dir);
	free(when);
	return error;
}

int grd_holdout_reseal(const char *dir, const char *seal_path, unsigned budget)
{
	seal_files now = { NULL, 0, 0 };
	char *abs_dir = NULL, *when = NULL;
	int error;

	if (seal_path == NULL)
		return bg_error_set(BG_EINVAL, "grd_holdout_reseal: missing seal path");
	if ((error = dir_resolve(&abs_dir, dir)) < 0 ||
	    (error = files_scan(&now, abs_dir, seal_path)) < 0)
		goto cleanup;
	error = seal_write(&when, abs_dir, &now, seal_path, budget);
cleanup:
	files_clear(&now);
	free(abs_dir);
	free(when);
	return error;
}

unsigned grd_seal_remaining(const grd_seal *s)
{
	if (s == NULL || s->spent >= s->budget)
		return 0;
	return s->budget - s->spent;
}

int grd_seal_spend(grd_seal *s, const char *seal_path)
{
	seal_doc sd;
	int error;

	if (s == NULL || seal_path == NULL)
		return bg_error_set(BG_EINVAL, "grd_seal_spend: missing argument");
	if ((error = seal_doc_load(&sd, seal_path)) < 0)
		return error;
	if (sd.spent >= sd.budget) {
		error = bg_error_set(BG_EINVAL, "holdout budget exhausted (%u of %u failures): refresh "
				     "the held-out workloads and reseal", sd.budget, sd.budget);
		goto cleanup;
	}
	if (!cJSON_ReplaceItemInObjectCaseSensitive(sd.doc, "spent",
						   cJSON_CreateNumber(sd.spent + 1))) {
		error = bg_error_nomem();
		goto cleanup;
	}
	if ((error = json_write(seal_path, sd.doc)) < 0)
		goto cleanup;
	s->budget = sd.budget;
	s->spent = sd.spent + 1;
cleanup:
	seal_doc_clear(&sd);
	return error;
}

void grd_seal_free(grd_seal *s)
{
	if (s == NULL)
		return;
	free(s->dir);
	free(s->sealed_at);
	free(s);
}

/* ---- the verdict ---------------------------------------------------------- */

static int positive(double x)
{
	return isfinite(x) && x > 0;
}

int grd_holdout_judge(const grd_holdout_input *in)
{
	double sign, train_gain, hold_gain, best_gain;
	int reaches;

	if (in == NULL)
		return bg_error_set(BG_EINVAL, "grd_holdout_judge: no input");
	if (!positive(in->train_ratio) || !positive(in->holdout_ratio) ||
	    !positive(in->holdout_lo) || !positive(in->holdout_hi) || in->holdout_lo > in->holdout_hi)
		return bg_error_set(BG_EINVAL, "held-out verdict: ratios must be finite and positive "
				    "with lo <= hi (train %g, holdout %g in [%g, %g])",
				    in->train_ratio, in->holdout_ratio, in->holdout_lo, in->holdout_hi);
	if (!(in->generalization >= 0 && in->generalization <= 1))
		return bg_error_set(BG_EINVAL, "held-out verdict: the generalization share must be in "
				    "[0, 1], got %g", in->generalization);
	sign = in->lower_is_better ? -1.0 : 1.0;
	train_gain = sign * log(in->train_ratio);
	if (!(train_gain > 0))
		return bg_error_set(BG_EINVAL, "held-out verdict: the training ratio %g is no "
				    "improvement (%s is better), so there is no gain to confirm",
				    in->train_ratio, in->lower_is_better ? "lower" : "higher");
	hold_gain = sign * log(in->holdout_ratio);
	best_gain = sign * log(in->lower_is_better ? in->holdout_lo : in->holdout_hi);
	reaches = in->lower_is_better ? in->holdout_lo < 1 : in->holdout_hi > 1;
	if (reaches && hold_gain / train_gain >= in->generalization)
		return GRD_HOLDOUT_PASS;
	return best_gain <= in->generalization * train_gain ? GRD_HOLDOUT_OVERFIT : GRD_HOLDOUT_UNDECIDED;
}

const char *grd_holdout_verdict_name(grd_holdout_verdict v)
{
	switch (v) {
	case GRD_HOLDOUT_PASS:
		return "pass";
	case GRD_HOLDOUT_OVERFIT:
		return "overfit";
	case GRD_HOLDOUT_UNDECIDED:
		return "undecided";
	}
	return "unknown";
}
