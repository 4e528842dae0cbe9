/* smp_shell: shell command lines run in a directory (see smp_shell.h). */
#include "smp_shell.h"
#include "bg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *smp_shell_quote(const char *s)
{
	size_t n = 3;
	const char *p;
	char *q, *w;

	for (p = s; *p != '\0'; p++)
		n += *p == '\'' ? 4 : 1;
	if ((q = malloc(n)) == NULL) {
		bg_error_nomem();
		return NULL;
	}
	w = q;
	*w++ = '\'';
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'') {
			memcpy(w, "'\\''", 4);
			w += 4;
		} else {
			*w++ = *p;
		}
	}
	*w++ = '\'';
	*w = '\0';
	return q;
}

/* The script /bin/sh runs: stderr joins stdout first so the two streams
 * keep their order, then cd, then cmd verbatim on its own lines (so a cmd
 * with ';', '&&' or a trailing comment means what it says, and none of it
 * runs when cd fails). */
static char *shell_script(const char *cmd, const char *cwd)
{
	char *quoted = NULL, *script;
	size_t n;

	if (cwd != NULL && (quoted = smp_shell_quote(cwd)) == NULL)
		return NULL;
	n = strlen(cmd) + (quoted ? strlen(quoted) : 0) + 64;
	if ((script = malloc(n)) == NULL) {
		bg_error_nomem();
	} else if (quoted != NULL) {
		snprintf(script, n, "exec 2>&1\ncd %s || exit 126\n%s\n", quoted, cmd);
	} else {
		snprintf(script, n, "exec 2>&1\n%s\n", cmd);
	}
	free(quoted);
	return script;
}

/* Both streams as one text; NUL bytes (binary noise) become '?' so the
 * count and the tail see everything after them. */
static char *merged_output(const smp_result *r)
{
	size_t n = r->out_len + r->err_len, i;
	char *text = malloc(n + 1);

	if (text == NULL) {
		bg_error_nomem();
		return NULL;
	}
	if (r->out_len > 0)
		memcpy(text, r->out, r->out_len);
	if (r->err_len > 0)
		memcpy(text + r->out_len, r->err, r->err_len);
	for (i = 0; i < n; i++)
		if (text[i] == '\0')
			text[i] = '?';
	text[n] = '\0';
	return text;
}

/* The last `lines` lines of text, without the final newline(s). */
static char *text_tail(const char *text, int lines)
{
	const char *end = text + strlen(text), *p;
	char *tail;

	while (end > text && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	for (p = end; p > text; p--)
		if (p[-1] == '\n' && --lines == 0)
			break;
	if ((tail = strndup(p, (size_t)(end - p))) == NULL)
		bg_error_nomem();
	return tail;
}

static int check_cwd(const char *cwd)
{
	struct stat st;

	if (cwd == NULL)
		return 0;
	if (stat(cwd, &st) < 0 || !S_ISDIR(st.st_mode))
		return bg_error_set(BG_ENOTFOUND, "the directory %s does not exist or is not "
				    "a directory", cwd);
	return 0;
}

/* Says in the tail that the output was cut (the tail is of what was kept). */
static int tail_truncated(smp_shell_result *res)
{
	char *t;

	if (asprintf(&t, "%s\n(output truncated at %zu MiB)", res->tail, SMP_SHELL_OUTPUT_LIMIT >> 20) < 0)
		return bg_error_nomem();
	free(res->tail);
	res->tail = t;
	return 0;
}

/* Fills res from the finished run r. */
static int result_fill(smp_shell_result *res, const smp_result *r)
{
	memset(res, 0, sizeof(*res));
	res->outcome = r->outcome;
	res->exit_code = r->exit_code;
	res->term_signal = r->term_signal;
	res->timed_out = r->outcome == SMP_TIMED_OUT;
	res->passed = r->outcome == SMP_EXITED && r->exit_code == 0;
	res->output_truncated = r->out_truncated || r->err_truncated;
	res->wall_s = (double)r->wall_ns / 1e9;
	if ((res->output = merged_output(r)) == NULL ||
	    (res->tail = text_tail(res->output, SMP_SHELL_TAIL_LINES)) == NULL)
		return BG_ENOMEM;
	return res->output_truncated ? tail_truncated(res) : 0;
}

/* The script of a sandboxed run: the sandbox starts in its own copy of
 * the tree, so there is nothing to cd into. */
static char *sandboxed_script(const char *cmd, const smp_sandbox *sb)
{
	char *wrapped = smp_sandbox_wrap(sb, cmd), *script = NULL;

	if (wrapped != NULL && asprintf(&script, "exec 2>&1\n%s\n", wrapped) < 0) {
		bg_error_nomem();
		script = NULL;
	}
	free(wrapped);
	return script;
}

int smp_shell_run(smp_shell_result *out, const char *cmd, const char *cwd, double timeout_s,
		  const smp_sandbox *sb)
{
	smp_spawn_opts opts = SMP_SPAWN_OPTS_INIT;
	smp_result r;
	smp_shell_result res;
	char *script = NULL;
	int error;

	memset(&r, 0, sizeof(r));
	if (out == NULL || cmd == NULL || !(timeout_s >= 0))
		return bg_error_set(BG_EINVAL, "smp_shell_run: missing result, command or timeout");
	if ((error = check_cwd(sb ? sb->tree : cwd)) < 0)
		return error;
	if ((script = sb ? sandboxed_script(cmd, sb) : shell_script(cmd, cwd)) == NULL)
		return bg_error_code() < 0 ? bg_error_code() : BG_ENOMEM;
	opts.cmd = script;
	opts.timeout_s = timeout_s;
	opts.out_limit = SMP_SHELL_OUTPUT_LIMIT;
	opts.err_limit = SMP_SHELL_OUTPUT_LIMIT;
	if ((error = smp_run(&r, &opts)) < 0)
		goto cleanup;
	if (r.outcome == SMP_EXEC_FAILED) {
		error = bg_error_set(BG_ESYS, "cannot start /bin/sh: %s", r.err ? r.err : "unknown reason");
		goto cleanup;
	}
	if ((error = result_fill(&res, &r)) < 0) {
		smp_shell_result_clear(&res);
		goto cleanup;
	}
	*out = res;
cleanup:
	smp_result_clear(&r);
	free(script);
	return error;
}

void smp_shell_result_clear(smp_shell_result *r)
{
	if (r == NULL)
		return;
	free(r->output);
	free(r->tail);
	memset(r, 0, sizeof(*r));
}
