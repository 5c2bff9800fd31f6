/* A growable byte buffer. The buffer owns its bytes; buf_free releases them. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT {NULL, 0, 0}

/* Appends len bytes; keeps the content NUL-terminated. -ENOMEM on failure. */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vappendf(struct buf *b, const char *fmt, va_list ap);
/* Drops the first n bytes. */
void buf_consume(struct buf *b, size_t n);
/* Hands the bytes to the caller (NUL-terminated, never NULL on success). */
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);
