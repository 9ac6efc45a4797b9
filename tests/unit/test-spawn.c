/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spawn-util.c: the one spawn-and-wait helper that replaced the posix_spawn/waitpid pairs of
 * trial.c and snapshot.c and the waitpid loops of gen.c, vm.c and vm-state.c. The old
 * copies disagreed on EINTR (gen.c and snapshot.c failed on it, the others retried) and on
 * signals (vm.c used WTERMSIG without WIFSIGNALED); retrying and 128 + signal are right:
 * an interrupted wait says nothing about the child, and 128 + N is what a shell reports.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "spawn-util.h"
#include "tap.h"

int main(void)
{
	char *out = NULL;

	is_int(spawn_run((char *const[]){"true", NULL}, 0, 0, NULL), 0, "exit 0");
	is_int(spawn_run((char *const[]){"sh", "-c", "exit 3", NULL}, 0, 0, NULL), 3,
	       "exit status passed through");
	is_int(spawn_run((char *const[]){"sh", "-c", "kill -9 $$", NULL}, 0, 0, NULL), 128 + 9,
	       "killed by a signal: 128 + signal");
	is_int(spawn_run((char *const[]){"/nonexistent/gpt-bootcfg-test", NULL}, 0, 0, &out),
	       -ENOENT, "missing program: -ENOENT");
	ok(out == NULL, "no output when the child did not run");

	is_int(spawn_run((char *const[]){"sh", "-c", "echo out; echo err >&2", NULL},
			 SPAWN_STDIN_NULL | SPAWN_STDERR_NULL, 1024, &out),
	       0, "capture");
	is_str(out, "out\n", "stdout captured, stderr dropped");
	free(out);
	out = NULL;
	is_int(spawn_run((char *const[]){"sh", "-c", "read x; echo \"[$x]\"", NULL},
			 SPAWN_STDIN_NULL, 1024, &out),
	       0, "stdin from /dev/null");
	is_str(out, "[]\n", "reads end of file");
	free(out);
	out = NULL;
	/* The child writes far past the limit and must not block on a full pipe. */
	is_int(spawn_run((char *const[]){"sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x", NULL},
			 0, 10, &out),
	       0, "output past the limit is drained");
	ok(out && strlen(out) >= 10 && strlen(out) < 300000, "only about the limit kept");
	free(out);

	return done_testing();
}
