/* Detach key sequences, as docker spells and matches them (moby/term's
 * ToBytes and EscapeProxy): the daemon watches a tty attach's or exec's
 * stdin for them, and the CLI watches what is typed. Pure helpers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DETACH_KEYS_DEFAULT "ctrl-p,ctrl-q"
#define DETACH_KEYS_MAX 16

/* The sequence and how far the input seen so far matches it. */
struct detach_keys {
	uint8_t keys[DETACH_KEYS_MAX];
	size_t nkeys, matched;
};

/* Parses "ctrl-p,ctrl-q", "a,ctrl-@,DEL": per comma-separated item a single
 * character, ctrl-<a-z @ [ \ ] ^ _> or DEL. NULL or "" is the default
 * sequence. -EINVAL for anything else (callers word the error: dockerd says
 * "Invalid detach keys" for attach, "Invalid escape keys" for exec). */
int detach_keys_parse(const char *spec, struct detach_keys *ret);

/* Filters in[0..n) into out (room for n + DETACH_KEYS_MAX bytes) and returns
 * how many bytes to pass on: bytes that start a match are held back until
 * the sequence completes (then *detach is set and what follows is dropped)
 * or breaks (then they are passed on first). */
size_t detach_keys_filter(struct detach_keys *k, const uint8_t *in, size_t n, uint8_t *out,
			  bool *detach);
