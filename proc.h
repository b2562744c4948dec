/*
 * proc.h: processes we start and talk to over pipes: the MTA child and
 * the external filters.  A program is started from an argument vector,
 * never through a shell, with the given descriptors as its standard
 * input, output and (optionally) error; pipes for it are made above fd 2
 * and close-on-exec; every wait, write and read on them has an absolute
 * deadline (time(NULL) seconds); every process is reaped, killed with
 * SIGKILL when its deadline passes.
 *
 * Inputs: an argument vector (and for filters an environment), the
 * descriptors to give the program, deadlines.  Outputs: the pid, bytes
 * written and read, the wait status.  Failures come back as return
 * values (the PROC_ codes below) with errno; nothing here logs, exits or
 * touches signal dispositions: the program inherits ours, so with SIGPIPE
 * ignored (as smtpfront does) a write to a program that closed its input
 * fails with EPIPE instead of killing us.
 */
#ifndef PROC_H
#define PROC_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/*
 * The time in seconds, as time(NULL) gives it, from the kernel's coarse
 * clock (a few milliseconds behind, no clock source read): what the
 * deadlines of every command are counted from, several times a message.
 */
time_t	proc_now(void);

/* Results of the waits, reads and writes (0 or more: success). */
#define PROC_EIO	(-1)	/* read or write failed: errno */
#define PROC_TIMEOUT	(-2)	/* the deadline passed */
#define PROC_EPOLL	(-3)	/* poll failed: errno */

/* Why proc_spawn failed (its *fail). */
#define PROC_FAIL_FORK	1	/* no process: vfork failed */
#define PROC_FAIL_FD	2	/* the descriptors could not become 0, 1, 2 */
#define PROC_FAIL_EXEC	3	/* the program could not be run */

/* The started process's own exit codes when it fails before exec. */
#define PROC_EXIT_FD	126
#define PROC_EXIT_EXEC	127

/* proc_pipe: which ends are non-blocking. */
#define PROC_NB_READ	1
#define PROC_NB_WRITE	2

/*
 * Start argv[0] with argv: with envp NULL by execvp (found on PATH, our
 * environment), otherwise by execve with envp (argv[0] is a path).  in
 * and out become its fds 0 and 1, err its fd 2 unless err is -1 (then fd
 * 2 stays ours).  Each of them must be its own target or above 2 (as
 * proc_pipe makes them); other descriptors of ours should be
 * close-on-exec.  vfork: no allocation, no helper pipe; a failure
 * between vfork and exec is passed back through memory the child shares
 * with us until it execs, and ends it with PROC_EXIT_FD or
 * PROC_EXIT_EXEC.  The pid; or -1 with errno and *fail set to one of
 * PROC_FAIL_FORK, PROC_FAIL_FD or PROC_FAIL_EXEC (the process, if there
 * was one, is reaped).
 */
pid_t	proc_spawn(char *const *, char *const *, int, int, int, int *);
/*
 * A pipe (p[0] to read, p[1] to write), both ends above fd 2 and
 * close-on-exec, the ends named in nb (PROC_NB_READ, PROC_NB_WRITE)
 * non-blocking.  0, or -1 with errno and nothing left open.
 */
int	proc_pipe(int *, int);
/*
 * A pipe's like, made of a Unix stream socket pair: p[1] for a started
 * process to write (its stdout), p[0] for us to read, blocking, each
 * read given up after the timeout in seconds (SO_RCVTIMEO): a reply is
 * then one system call, not a poll and a read.  Both ends above fd 2,
 * close-on-exec.  0, or -1 with errno and nothing left open.
 */
int	proc_replies(int *, unsigned long);
/* Wait until fd is ready for events (POLLIN, POLLOUT): 0 or a PROC_ code. */
int	proc_wait(int, short, time_t);
/*
 * After a read, write or splice on fd failed with errno: 0 to try again
 * (interrupted, or fd became ready for events before the deadline), or a
 * PROC_ code (PROC_EIO for any errno but EINTR and EAGAIN).
 */
int	proc_retry(int, short, time_t);
/*
 * Connect to a server within the deadline: "HOST:PORT" (an IPv4 address,
 * or an IPv6 one in brackets) or an absolute Unix socket path.  A
 * non-blocking, close-on-exec socket above fd 2, or -1 with why ("not
 * HOST:PORT", "connect timed out", the error).  No name is resolved.
 */
int	proc_connect(const char *, time_t, char *, size_t);
/* Write all n bytes to a non-blocking fd: 0 or a PROC_ code. */
int	proc_write(int, const char *, size_t, time_t);
/*
 * Read what there is (at most n bytes, one read) from a non-blocking fd,
 * waiting for it up to the deadline; with first set, read before waiting
 * (a reply is probably there).  The count, 0 at end of file, or a PROC_
 * code.
 */
ssize_t	proc_read(int, char *, size_t, time_t, int);
/*
 * Reap pid: close *in (our end of its input) so that it sees its end of
 * file, read and drop its output from *out until it closes it, wait for
 * it, and at the deadline kill it with SIGKILL and wait again.  *in and
 * *out (either may be -1) are closed and set to -1.  *status is
 * waitpid's: WIFEXITED and WEXITSTATUS give a filter's exit code.
 * 0 when it ended by itself, PROC_TIMEOUT when it was killed at the
 * deadline, -1 when there was nothing to wait for (pid 0, or ECHILD:
 * *status is then 0).
 */
int	proc_reap(pid_t, int *, int *, time_t, int *);
/* SIGKILL, then proc_reap within PROC_KILL_WAIT: after a failure. */
#define PROC_KILL_WAIT	1	/* seconds */
int	proc_kill(pid_t, int *, int *, int *);

#endif
