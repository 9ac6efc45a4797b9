/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spawn-util.c: the one spawn-and-wait helper that replaced the posix_spawn/waitpid pairs of
 * trial.c and snapshot.c, the fork/exec of the VM hooks and of vm-state.c ("qemu -machine
 * help", with a time and an output limit) and the waitpid loop of gen.c. The old copies
 * disagreed on EINTR (gen.c and snapshot.c failed on it, the others retried) and on
 * signals (vm.c used WTERMSIG without WIFSIGNALED); retrying and 128 + signal are right:
 * an interrupted wait says nothing about the child, and 128 + N is what a shell reports.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/macro.h"
#include "basic/spawn-util.h"
#include "tap.h"

/*
 * spawn_run_status(): gen.c's rebuild runs update-initramfs with the terminal's stdio and
 * names a killing signal as a signal, not as an exit status of 128 + N.
 */
static void test_run_status(void)
{
	int status = -1, saved, p[2];

	is_int(spawn_run_status((char *const[]){"sh", "-c", "exit 3", NULL}, &status), 0,
	       "status: ran");
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 3, "status: exit status 3");
	is_int(spawn_run_status((char *const[]){"sh", "-c", "kill -9 $$", NULL}, &status), 0,
	       "status: killed, still 0");
	ok(WIFSIGNALED(status) && WTERMSIG(status) == 9, "status: the signal, not an exit status");
	status = -1;
	is_int(spawn_run_status((char *const[]){"/nonexistent/gpt-bootcfg-test", NULL}, &status),
	       -ENOENT, "status: missing program: -ENOENT");
	is_int(status, -1, "status: untouched when the child did not run");

	/* The caller's stdin reaches the child (no /dev/null in between). */
	if (pipe(p) < 0 || (saved = dup(STDIN_FILENO)) < 0 || dup2(p[0], STDIN_FILENO) < 0) {
		ok(false, "status: set up stdin");
		return;
	}
	if (write(p[1], "hello\n", 6) != 6)
		ok(false, "status: write to the pipe");
	close(p[1]);
	is_int(spawn_run_status((char *const[]){"sh", "-c", "read x && test \"$x\" = hello", NULL},
				&status),
	       0, "status: ran with our stdin");
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status: the child read our stdin");
	dup2(saved, STDIN_FILENO);
	close(saved);
	close(p[0]);
}

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
	out = NULL;

	/* spawn_run_opts(): what VM hooks and "qemu -machine help" need. */
	{
		char *const env[] = {"GPT_TEST_A=one", NULL};
		const struct spawn_opts o = {.envp = env, .max_output = 1024};

		is_int(spawn_run_opts((char *const[]){"sh", "-c", "echo \"$GPT_TEST_A|$HOME\"",
						      NULL},
				      &o, &out),
		       0, "envp: runs");
		is_str(out, "one|\n", "envp: the child sees exactly that environment");
		free(out);
		out = NULL;
	}
	{
		const struct spawn_opts o = {.flags = SPAWN_STDERR_TO_OUTPUT, .max_output = 1024};

		is_int(spawn_run_opts((char *const[]){"sh", "-c", "echo out; echo err >&2; exit 4",
						      NULL},
				      &o, &out),
		       4, "stderr to output: exit status");
		is_str(out, "out\nerr\n", "stderr to output: both streams, in order");
		free(out);
		out = NULL;
	}
	{
		const struct spawn_opts o = {.flags = SPAWN_OUTPUT_LIMIT_FAIL, .max_output = 10};

		is_int(spawn_run_opts((char *const[]){"head", "-c", "300000", "/dev/zero", NULL}, &o,
				      &out),
		       -EFBIG, "output limit as failure: -EFBIG");
		ok(out == NULL, "output limit as failure: no output");
		is_int(spawn_run_opts((char *const[]){"echo", "123456789", NULL}, &o, &out), 0,
		       "output limit as failure: exactly the limit is fine");
		is_str(out, "123456789\n", "output limit as failure: all of it");
		free(out);
		out = NULL;
	}
	{
		/* exec: the killed process is sleep itself, so nothing is left behind. */
		const struct spawn_opts o = {.max_output = 1024, .timeout_ms = 200};

		is_int(spawn_run_opts((char *const[]){"sh", "-c", "exec sleep 60", NULL}, &o, &out),
		       -ETIMEDOUT, "timeout while reading output: -ETIMEDOUT");
		ok(out == NULL, "timeout: no output");
		is_int(spawn_run_opts((char *const[]){"sh", "-c", "exec >&-; exec sleep 60", NULL}, &o,
				      &out),
		       -ETIMEDOUT, "timeout after the child closed its output: -ETIMEDOUT");
		is_int(spawn_run_opts((char *const[]){"sleep", "60", NULL}, &o, NULL), -ETIMEDOUT,
		       "timeout without output: -ETIMEDOUT");
	}
	{
		const struct spawn_opts o = {.max_output = 1024, .timeout_ms = 60 * 1000};

		is_int(spawn_run_opts((char *const[]){"sh", "-c", "echo hi; exit 2", NULL}, &o, &out),
		       2, "a time limit not reached: the exit status");
		is_str(out, "hi\n", "a time limit not reached: the output");
		free(out);
		out = NULL;
		is_int(spawn_run_opts((char *const[]){"true", NULL}, &o, NULL), 0,
		       "a time limit not reached, no output: the exit status");
	}
	{
		const struct spawn_opts o = {0};

		/* A character device: execve() says EACCES even to root. */
		is_int(spawn_run_opts((char *const[]){"/dev/null", NULL}, &o, &out), -EACCES,
		       "not executable: -EACCES");
		ok(out == NULL, "not executable: no output");
	}

	test_run_status();
	return done_testing();
}
