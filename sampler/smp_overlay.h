/* smp_overlay: a tree that a run may write but whose writes do not outlive
 * the run (DESIGN "isolation": tests and workload runs see the tree as
 * built, writable, and nothing they write is there for the next run).
 *
 * bubblewrap 0.8 (Debian 12) has no overlay of its own (--tmp-overlay came
 * in 0.9), and a sandbox per run costs milliseconds; so the helper inside
 * the sandbox gives each run, before it is timed, new user and mount
 * namespaces in which an overlay (lower: the tree as bubblewrap shows it,
 * read-only; upper: a fresh tmpfs that no path names) is mounted over the
 * tree. The namespaces end with the run and the tmpfs with them. The run
 * then goes on in a second user namespace with the caller's own uid and
 * gid, so it is neither root nor able to undo the mount.
 *
 * `benchgate __overlay DIR CMD ARGS...` (smp_overlay_main) does this and
 * execs CMD in DIR; the run server does it for each run it serves. */
#ifndef SMP_OVERLAY_H
#define SMP_OVERLAY_H

#include <stddef.h>

#define SMP_OVERLAY_COMMAND "__overlay"

/* Puts the calling process in new user and mount namespaces where dir
 * (absolute) is writable through an overlay whose writes live as long as
 * those namespaces. The process's working directory, when it was dir or
 * below it, is entered again through the overlay. 0, or -1 with what
 * failed (the step and errno's text) in why: the namespaces may then be
 * half made, so the caller should only report and exit. */
int smp_overlay_enter(const char *dir, char *why, size_t size);

/* `benchgate __overlay DIR CMD [ARGS...]`: execs CMD as above; 126 when the
 * overlay or the exec failed (said on stderr), 2 on a usage error. */
int smp_overlay_main(int argc, char **argv);

#endif
