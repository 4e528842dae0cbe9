/* smp_sandbox: the sandbox a candidate's commands run in (bubblewrap,
 * Debian's `bubblewrap`: the sandbox Flatpak is built on).
 *
 * Inside, the command sees the whole system read-only, a fresh writable
 * $TMPDIR (SMP_SANDBOX_TMP) and /dev, its own PID, network and IPC
 * namespaces, and its own tree (an export) at the repository's own path,
 * so neither `.git/benchgate/` nor the other arm nor the real repository
 * is there and the path does not say "you are being measured". The tree
 * is read-only, writable (a build), or writable on an overlay per run
 * (smp_overlay.h: tests and workload runs). Paths in `hide` (the held-out inputs,
 * benchgate's own configuration) are empty. Every process it starts dies
 * with it, daemons included (the PID namespace ends with its first
 * process). Variables named BENCHGATE_* are not passed in.
 *
 * An agent's sandbox (host) is the user's system as it is, but for what
 * benchgate keeps from the agent: the held-out inputs hidden, benchgate's
 * state and refs read-only. */
#ifndef SMP_SANDBOX_H
#define SMP_SANDBOX_H

#include <stddef.h>

/* The sandbox's own temporary directory (a fresh tmpfs, $TMPDIR), and
 * where it shows benchgate's binary for its helpers. The host's /tmp stays
 * visible read-only: tools and inputs may live there (a checkout in /tmp). */
#define SMP_SANDBOX_TMP "/var/tmp"
#define SMP_SANDBOX_EXE SMP_SANDBOX_TMP "/.benchgate-timer"
/* Where a sandbox (not an agent's) shows its read-only inputs: the
 * directory `inputs` names, else an empty directory, so that the path is
 * there in every run and only what it holds differs. */
#define SMP_SANDBOX_INPUTS SMP_SANDBOX_TMP "/inputs"

/* What a command may do to its tree. */
typedef enum {
	SMP_TREE_READONLY,   /* nothing */
	SMP_TREE_WRITABLE,   /* write it for good (a build) */
	SMP_TREE_OVERLAY     /* write it, each run (or served run) on its own
			      * overlay, so nothing written outlives the run
			      * (smp_overlay.h; needs exe) */
} smp_tree_mode;

typedef struct {
	const char *tree;           /* the directory the command's files are in */
	const char *at;             /* where the command sees them (absolute) */
	smp_tree_mode mode;         /* what the command may do to them */
	const char *const *hide;    /* NULL or NULL-terminated absolute paths shown empty */
	const char *const *readonly; /* NULL or absolute paths shown read-only */
	const char *exe;            /* NULL, or benchgate's binary, shown at
				     * SMP_SANDBOX_EXE: the helpers that time a
				     * run, serve runs and make overlays */
	int timed;                  /* 1: the command is timed inside
				     * (smp_timer.h; needs exe) */
	int host;                   /* 1: an agent's sandbox: the system as it is
				     * (writable where the user may write, the
				     * network, the real /tmp), tree unused, only
				     * hide and readonly apply; starts in at */
	const char *inputs;         /* NULL, or a directory shown read-only at
				     * SMP_SANDBOX_INPUTS (not in host mode) */
	const char *serve;          /* NULL, or a directory shown writable at the
				     * same path: the sandbox then runs the run
				     * server (smp_serve.h) on serve/socket, not
				     * the command (needs exe; its runs are timed) */
} smp_sandbox;

/* Whether sandboxes can be made here: bwrap found on PATH and able to
 * start one. Returns 1, or 0 with the reason and the fix in why. */
int smp_sandbox_available(char *why, size_t size);

/* Whether sb (mode SMP_TREE_OVERLAY, with exe) can give its runs their
 * overlays here: one run of `true` in it tries. Returns 1, or 0 with the
 * reason in why (nested user namespaces refused, a kernel before 5.11, a
 * tree overlayfs cannot stack on). */
int smp_sandbox_overlay_works(const smp_sandbox *sb, char *why, size_t size);

/* The shell command line that runs cmd (a /bin/sh command line) inside
 * sb, starting in sb->at. Caller frees; NULL with BG_EINVAL (a relative or
 * missing path, a helper asked for without exe) or BG_ENOMEM set. */
char *smp_sandbox_wrap(const smp_sandbox *sb, const char *cmd);

#endif
