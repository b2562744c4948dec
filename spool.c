/*
 * spool.c: message spool.  Up to `mem` bytes live in one buffer; the rest
 * goes to an unlinked temporary file in `dir`, written and read in large
 * blocks.  A write error (ENOSPC on a full disk) is returned to the caller,
 * which answers 452 and loses nothing: the client keeps the message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "spool.h"

#define SPOOL_PATH_MAX	512

struct spool {
	char		*mem;
	size_t		 memmax;
	size_t		 memlen;
	int		 fd;		/* -1 until the memory part is full */
	unsigned long long size;
	unsigned long long rpos;
	char		 dir[SPOOL_PATH_MAX];
};

/*
 * The memory part of the last spool, kept for the next message of the
 * session: a large block is mapped and unmapped by some allocators (musl)
 * on every malloc and free, and its pages faulted in again.
 */
static char	*cache;
static size_t	 cache_size;

struct spool *
spool_new(size_t memmax, const char *dir)
{
	struct spool *s;
	size_t n;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (memmax > 0 && memmax == cache_size && cache != NULL) {
		s->mem = cache;
		cache = NULL;
	} else if (memmax > 0 && (s->mem = malloc(memmax)) == NULL) {
		free(s);
		return NULL;
	}
	s->memmax = memmax;
	s->fd = -1;
	n = strlen(dir);
	if (n > sizeof(s->dir) - 1) {
		free(s->mem);
		free(s);
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(s->dir, dir, n + 1);
	return s;
}

static int
spool_file(struct spool *s)
{
	char path[SPOOL_PATH_MAX + 32];
	size_t n = strlen(s->dir);

	/* O_TMPFILE needs no name; fall back to mkstemp and unlink. */
	s->fd = open(s->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (s->fd != -1)
		return 0;
	memcpy(path, s->dir, n);
	memcpy(path + n, "/smtpfront.XXXXXX", sizeof("/smtpfront.XXXXXX"));
	if ((s->fd = mkostemp(path, O_CLOEXEC)) == -1)
		return -1;
	unlink(path);
	return 0;
}

static int
writeall(int fd, const char *buf, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, buf, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

int
spool_write(struct spool *s, const char *buf, size_t n)
{
	size_t room;

	room = s->memmax - s->memlen;
	if (s->fd == -1 && room > 0) {
		if (n < room)
			room = n;
		memcpy(s->mem + s->memlen, buf, room);
		s->memlen += room;
		s->size += room;
		buf += room;
		n -= room;
	}
	if (n == 0)
		return 0;
	if (s->fd == -1 && spool_file(s) == -1)
		return -1;
	if (writeall(s->fd, buf, n) == -1)
		return -1;
	s->size += n;
	return 0;
}

unsigned long long
spool_size(const struct spool *s)
{
	return s->size;
}

int
spool_rewind(struct spool *s)
{
	s->rpos = 0;
	if (s->fd != -1 && lseek(s->fd, 0, SEEK_SET) == -1)
		return -1;
	return 0;
}

long
spool_read(struct spool *s, char *buf, size_t n)
{
	ssize_t r;

	if (s->rpos < s->memlen) {
		size_t left = s->memlen - (size_t)s->rpos;

		if (n > left)
			n = left;
		memcpy(buf, s->mem + s->rpos, n);
		s->rpos += n;
		return (long)n;
	}
	if (s->fd == -1)
		return 0;
	do
		r = read(s->fd, buf, n);
	while (r == -1 && errno == EINTR);
	if (r > 0)
		s->rpos += (unsigned long long)r;
	return (long)r;
}

void
spool_free(struct spool *s)
{
	if (s == NULL)
		return;
	if (s->fd != -1)
		close(s->fd);
	if (s->mem != NULL && cache == NULL) {
		cache = s->mem;
		cache_size = s->memmax;
	} else
		free(s->mem);
	free(s);
}
