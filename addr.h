/*
 * addr.h: RFC 5321 address grammar (section 4.1.2): Mailbox, Domain and
 * address literals.  Pure functions on bounded input, no allocation.
 */
#ifndef ADDR_H
#define ADDR_H

#include <stddef.h>

/*
 * Is s (len bytes, no brackets) a valid RFC 5321 Mailbox:
 * Local-part "@" ( Domain / address-literal ), Local-part a Dot-string or
 * a Quoted-string, local part at most 64 octets, whole at most 254?
 * Returns 1 or 0.
 */
int	addr_mailbox_valid(const char *, size_t);

/* Is s an RFC 5321 Domain (sub-domain *("." sub-domain), labels of
 * letters, digits and inner hyphens, each at most 63, whole at most 255)? */
int	addr_domain_valid(const char *, size_t);

/* Is s an address literal: "[" IPv4 "]", "[IPv6:" IPv6 "]" or a general
 * literal "[tag:content]"?  Returns 1 or 0. */
int	addr_literal_valid(const char *, size_t);

/* Does the domain contain a dot that is neither first nor last? */
int	addr_domain_fqdn(const char *, size_t);

/*
 * Offset of the '@' that separates local part and domain (the last '@'
 * outside a quoted local part), or -1 when there is none.
 */
long	addr_at(const char *, size_t);

/* Is the local part (case-insensitive, no domain or any domain)
 * "postmaster" or "abuse"? */
int	addr_is_role(const char *, size_t);

#endif
