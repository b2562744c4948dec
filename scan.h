/*
 * scan.h: the content rules' helper, smtpfront-scan (beside smtpfront),
 * for one message: started before the message comes, fed its bytes as
 * they stream past, asked at the end which rules matched.  The rules
 * database it reads is the session's, handed to it open (the same
 * generation as the rules the session runs with).  Every write and read
 * has the deadline given at the start; nothing here writes to the
 * client, logs or exits.
 */
#ifndef SCAN_H
#define SCAN_H

#include <stddef.h>

#define SCAN_PROGRAM	"smtpfront-scan"

/* Where the helper is: beside SELF (our argv[0]), else on $PATH. */
void	scan_setup(const char *);
/* Start it on the rules database open on FD, for TIMEOUT seconds from
 * now: 0, or -1 with why. */
int	scan_start(int, unsigned long, char *, size_t);
/* The next bytes of the message: 0, or -1 (the helper failed: scan_why). */
int	scan_feed(const char *, size_t);
/*
 * The message ended: matched[i] set for each rule i (< n) that matched.
 * 0, or -1 with why.  The helper is reaped.
 */
int	scan_finish(unsigned char *, size_t, char *, size_t);
/* Kill and reap a helper still running. */
void	scan_end(void);

#endif
