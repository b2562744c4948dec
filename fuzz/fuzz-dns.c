/*
 * fuzz/fuzz-dns.c: libFuzzer target for the DNS answer reader
 * (dnspkt.c) and the dnsbl list entries (dnslist.c).
 *
 * Input: a first byte choosing the reader, then its input.  Even: a DNS
 * packet, in a buffer of exactly its size: every answer record is walked,
 * names in PTR, CNAME and MX data are read, TXT records joined.  Odd: a
 * dnsbl entry, then four bytes of an answer (the input's last four).
 * Invariants: every result is in range: a record lies inside the packet,
 * a name is at most 253 bytes, lower case, NUL-terminated, with no empty
 * label; a TXT result fits its buffer; an entry that parses has a zone of
 * domain characters without empty labels and a weight from -100 to 100,
 * not 0; an answer in 127.255.255.0/24 never matches.  A broken invariant
 * aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dnslist.h"
#include "dnspkt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static void
name_ok(const char *n, int len)
{
	int i;

	check(len >= 0 && len <= DNSPKT_NAME_MAX - 2);
	check((size_t)len == strlen(n));
	for (i = 0; i < len; i++) {
		check(!(n[i] >= 'A' && n[i] <= 'Z'));
		check(n[i] != '.' || (i > 0 && i < len - 1 && n[i + 1] != '.'));
	}
}

static void
packet(const uint8_t *data, size_t size)
{
	struct dnspkt d;
	struct dnspkt_rr rr;
	unsigned char *p;
	char name[DNSPKT_NAME_MAX + 1], txt[64];
	int rc, r, n;

	if ((p = malloc(size > 0 ? size : 1)) == NULL)
		return;
	memcpy(p, data, size);
	rc = dnspkt_open(&d, p, size);
	check(rc >= -1 && rc <= 15);
	while (rc != -1 && (r = dnspkt_next(&d, &rr)) == 1) {
		check(rr.rdpos <= size && rr.rdlen <= size - rr.rdpos);
		if (rr.type == DNSPKT_T_PTR || rr.type == DNSPKT_T_CNAME) {
			n = dnspkt_name(&d, rr.rdpos, name, sizeof(name));
			if (n != -1)
				name_ok(name, n);
		} else if (rr.type == DNSPKT_T_MX && rr.rdlen >= 2) {
			n = dnspkt_name(&d, rr.rdpos + 2, name, sizeof(name));
			if (n != -1)
				name_ok(name, n);
		} else if (rr.type == DNSPKT_T_TXT) {
			n = dnspkt_txt(&d, &rr, txt, sizeof(txt));
			check(n >= -1 && n < (int)sizeof(txt));
			if (n >= 0)
				check(txt[n] == '\0');
		}
	}
	if (rc != -1 && size >= 12) {
		n = dnspkt_name(&d, 12, name, sizeof(name));
		if (n != -1)
			name_ok(name, n);
	}
	free(p);
}

static void
entry(const uint8_t *data, size_t size)
{
	struct dnslist_entry e;
	const char *err = NULL;
	unsigned char a[4] = { 127, 0, 0, 2 };
	char *s;
	size_t i, z;

	if (size >= 4) {
		memcpy(a, data + size - 4, 4);
		size -= 4;
	}
	if ((s = malloc(size > 0 ? size : 1)) == NULL)
		return;
	memcpy(s, data, size);
	if (dnslist_parse(s, size, &e, &err) == 0) {
		z = strlen(e.zone);
		check(z > 0 && z <= DNSLIST_ZONE_MAX);
		check(e.zone[0] != '.' && e.zone[z - 1] != '.');
		for (i = 0; i < z; i++)
			check(e.zone[i] != '.' || e.zone[i + 1] != '.');
		check(e.weight != 0 && e.weight >= -DNSLIST_WEIGHT_MAX &&
		    e.weight <= DNSLIST_WEIGHT_MAX);
		check(e.filter == NULL || (e.filter >= s &&
		    e.filter + e.flen <= s + size));
		{
			int m = dnslist_match(&e, a);

			check(m == 0 || m == 1);
			if (dnslist_refusal(a))
				check(m == 0);
		}
	} else
		check(err != NULL);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		entry(data + 1, size - 1);
	else
		packet(data + 1, size - 1);
	return 0;
}
