/*
 * psl.h: the organisational domain of a name (RFC 7489 3.2), by the
 * Public Suffix List (publicsuffix.org; Debian: publicsuffix), read from
 * its file each time it is asked, line by line, bounded.
 */
#ifndef PSL_H
#define PSL_H

#include <stddef.h>

#define PSL_DEFAULT	"/usr/share/publicsuffix/public_suffix_list.dat"

/*
 * The organisational domain of DOMAIN (lower case, no final dot) into out
 * (size outsize): its public suffix and one label more, or DOMAIN itself
 * when it is a public suffix.  0; -1 when the list cannot be read (out
 * then has DOMAIN's last two labels, the list's default rule "*").
 */
int	psl_orgdomain(const char *, const char *, char *, size_t);

#endif
