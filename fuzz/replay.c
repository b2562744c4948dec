/*
 * fuzz/replay.c: a main() for the fuzz targets without libFuzzer, so
 * that any C compiler can replay kept inputs through the same
 * invariants (t/fuzz-regress.t does, built by "make -C fuzz replay").
 *
 *   replay-NAME FILE...
 *
 * Each FILE is read whole and passed once to LLVMFuzzerTestOneInput
 * (after LLVMFuzzerInitialize, where the target has one).  A broken
 * invariant aborts, as under libFuzzer; an unreadable file exits 111;
 * otherwise the exit code is 0 and one line per file is printed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_SYS	111
#define CHUNK		65536

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***) __attribute__((weak));

static unsigned char *
read_all(const char *path, size_t *len)
{
	unsigned char *buf = NULL, *nb;
	size_t cap = 0, n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	*len = 0;
	for (;;) {
		if (cap - *len < CHUNK) {
			if ((nb = realloc(buf, cap + CHUNK)) == NULL)
				goto fail;
			buf = nb;
			cap += CHUNK;
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
		goto fail;
	(void)fclose(f);
	return buf;
fail:
	free(buf);
	(void)fclose(f);
	return NULL;
}

int
main(int argc, char **argv)
{
	unsigned char *data;
	size_t len;
	int i;

	if (LLVMFuzzerInitialize != NULL)
		(void)LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if ((data = read_all(argv[i], &len)) == NULL) {
			fprintf(stderr, "replay: unable to read %s: %s\n",
			    argv[i], strerror(errno));
			return EXIT_SYS;
		}
		(void)LLVMFuzzerTestOneInput(data, len);
		free(data);
		printf("ok %s\n", argv[i]);
	}
	return 0;
}
