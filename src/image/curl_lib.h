/* libcurl, opened with dlopen on first use (see fetch.c): the functions
 * Berth calls, shared by URL imports and the registry client. */
#pragma once

#include <curl/curl.h>

#include "basic/error.h"

struct image_service;

struct fetch_curl {
	void *lib;
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	CURLU *(*url)(void);
	CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
	CURLUcode (*url_get)(const CURLU *, CURLUPart, char **, unsigned int);
	void (*url_cleanup)(CURLU *);
	void (*free)(void *);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	CURLcode (*easy_perform)(CURL *);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	/* Registry hosts (insecure ones) last reached over plain HTTP: the next
	 * client of one tries it first instead of a TLS handshake that fails
	 * (registry_client.c). Read and written on the loop only. */
	char **plain_http;
	size_t n_plain_http;
};

/* The message of a failed transfer: libcurl's error buffer why (else
 * its text for rc) without the elapsed time libcurl puts in some ("Failed
 * to connect to h port 1 after 2 ms: ..."), so the same failure always
 * reads the same. Edits why in place. */
const char *fetch_curl_message(const struct fetch_curl *cu, char *why, CURLcode rc);

/* Loads libcurl into is->curl once (on the loop). -ENOSYS when missing. */
int fetch_curl_load(struct image_service *is, struct error *err);
