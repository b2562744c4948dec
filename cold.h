/*
 * cold.h: COLD marks a big static buffer that a session touches only when
 * it gets that far (a message's blocks, a milter's packets, a filter's
 * pipes).  Such buffers go after every other static variable, libc's
 * too (the x86-64 .lbss section, after .bss), so that the few pages a
 * waiting session touches are packed together in one 2 MB page-table
 * range instead of spread around them: two pages of bss and one of page
 * tables fewer a held session (bench/run --only many).  Elsewhere it is
 * nothing.
 */
#ifndef COLD_H
#define COLD_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define COLD	__attribute__((section(".lbss")))
#else
#define COLD
#endif

#endif
