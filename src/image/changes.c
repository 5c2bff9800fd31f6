/* Dockerfile change instructions (moby builder/dockerfile dispatchers.go,
 * reduced to what BuildFromConfig allows). Variable substitution ($VAR) is
 * not done. */
#include "image/changes.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/buf.h"
#include "basic/cleanup.h"

json_t *changes_empty_config(void)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:n, s:n, s:s, s:n, s:s, "
			 "s:n, s:n, s:n}",
			 "Hostname", "", "Domainname", "", "User", "", "AttachStdin", 0,
			 "AttachStdout", 0, "AttachStderr", 0, "Tty", 0, "OpenStdin", 0,
			 "StdinOnce", 0, "Env", "Cmd", "Image", "", "Volumes", "WorkingDir", "",
			 "Entrypoint", "OnBuild", "Labels");
}

json_t *changes_split_words(const char *s)
{
	json_t *words = json_array();
	struct buf w = BUF_INIT;
	bool in_word = false;
	char quote = 0;
	for (const char *p = s;; p++) {
		char c = *p;
		if (!c || (!quote && isspace((unsigned char)c))) {
			if (quote)
				break;
			if (in_word)
				json_array_append_new(words, json_string(w.data ? w.data : ""));
			buf_free(&w);
			in_word = false;
			if (!c) {
				return words;
			}
			continue;
		}
		in_word = true;
		if (c == quote) {
			quote = 0;
		} else if (!quote && (c == '"' || c == '\'')) {
			quote = c;
		} else if (c == '\\' && quote != '\'' && p[1]) {
			buf_append(&w, ++p, 1);
		} else {
			buf_append(&w, &c, 1);
		}
	}
	buf_free(&w);
	json_decref(words);
	return NULL;
}

/* Exec form when args is a JSON array of strings, else ["/bin/sh","-c",args]. */
static json_t *command_form(const char *args)
{
	json_t *j = args[0] == '[' ? json_loads(args, 0, NULL) : NULL;
	if (json_is_array(j)) {
		size_t i;
		json_t *v;
		bool strings = true;
		json_array_foreach(j, i, v) strings = strings && json_is_string(v);
		if (strings)
			return j;
	}
	json_decref(j);
	return json_pack("[s, s, s]", "/bin/sh", "-c", args);
}

/* Sets NAME=value in the Env list, replacing an earlier NAME. */
static void env_set(json_t *config, const char *name, const char *value)
{
	json_t *env = json_object_get(config, "Env");
	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(config, "Env", env);
	}
	_cleanup_free_ char *kv = NULL;
	if (asprintf(&kv, "%s=%s", name, value) < 0)
		return;
	size_t n = strlen(name), i;
	json_t *v;
	json_array_foreach(env, i, v) {
		const char *s = json_string_value(v);
		if (s && strncmp(s, name, n) == 0 && s[n] == '=') {
			json_array_set_new(env, i, json_string(kv));
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
}

static json_t *object_field(json_t *config, const char *key)
{
	json_t *o = json_object_get(config, key);
	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(config, key, o);
	}
	return o;
}

/* ENV and LABEL: "k=v k2=v2", or the legacy "k some value". */
static int key_values(json_t *config, const char *kw, const char *args, struct error *err)
{
	bool is_env = strcasecmp(kw, "ENV") == 0;
	json_t *words = changes_split_words(args);
	if (!words || !json_array_size(words)) {
		json_decref(words);
		return error_set(err, -EINVAL, "%s requires at least one argument", kw);
	}
	const char *first = json_string_value(json_array_get(words, 0));
	int r = 0;
	if (!strchr(first, '=')) {
		const char *rest = args + strspn(args, " \t");
		rest += strcspn(rest, " \t");
		rest += strspn(rest, " \t");
		if (!*rest)
			r = error_set(err, -EINVAL, "%s must have two arguments", kw);
		else if (is_env)
			env_set(config, first, rest);
		else
			json_object_set_new(object_field(config, "Labels"), first, json_string(rest));
	}
	size_t i;
	json_t *v;
	json_array_foreach(words, i, v) {
		if (r < 0 || !strchr(first, '='))
			break;
		_cleanup_free_ char *kv = strdup(json_string_value(v));
		char *eq = kv ? strchr(kv, '=') : NULL;
		if (!eq || eq == kv) {
			r = error_set(err, -EINVAL, "Syntax error - can't find = in \"%s\". Must be of the form: name=value", json_string_value(v));
			break;
		}
		*eq = '\0';
		if (is_env)
			env_set(config, kv, eq + 1);
		else
			json_object_set_new(object_field(config, "Labels"), kv, json_string(eq + 1));
	}
	json_decref(words);
	return r;
}

static int expose(json_t *config, const char *args, struct error *err)
{
	json_t *words = changes_split_words(args);
	size_t i;
	json_t *v;
	int r = words && json_array_size(words) ? 0 : error_set(err, -EINVAL, "EXPOSE requires at least one argument");
	json_array_foreach(words, i, v) {
		const char *p = json_string_value(v);
		char *end;
		long port = strtol(p, &end, 10);
		const char *proto = *end == '/' ? end + 1 : "tcp";
		if (end == p || port < 0 || port > 65535 || (*end && *end != '/') ||
		    (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))) {
			r = error_set(err, -EINVAL, "invalid containerPort: %s", p);
			break;
		}
		char key[32];
		snprintf(key, sizeof(key), "%ld/%s", port, proto);
		json_object_set_new(object_field(config, "ExposedPorts"), key, json_object());
	}
	json_decref(words);
	return r;
}

static int volume(json_t *config, const char *args, struct error *err)
{
	json_t *list = args[0] == '[' ? json_loads(args, 0, NULL) : changes_split_words(args);
	size_t i;
	json_t *v;
	int r = json_array_size(list) ? 0 : error_set(err, -EINVAL, "VOLUME specified can not be an empty string");
	json_array_foreach(list, i, v) {
		const char *p = json_string_value(v);
		if (!p || !*p) {
			r = error_set(err, -EINVAL, "VOLUME specified can not be an empty string");
			break;
		}
		json_object_set_new(object_field(config, "Volumes"), p, json_object());
	}
	json_decref(list);
	return r;
}

static void workdir(json_t *config, const char *args)
{
	const char *cur = json_string_value(json_object_get(config, "WorkingDir"));
	_cleanup_free_ char *p = NULL;
	if (args[0] == '/' || !cur || !*cur)
		p = strdup(args[0] == '/' ? args : "");
	if (!p && asprintf(&p, "%s/%s", strcmp(cur, "/") ? cur : "", args) < 0)
		return;
	if (p && p[0] != '/') {
		char *abs;
		if (asprintf(&abs, "/%s", p) < 0)
			return;
		free(p);
		p = abs;
	}
	json_object_set_new(config, "WorkingDir", json_string(p));
}

static int apply_one(json_t *config, const char *line, bool *cmd_set, struct error *err)
{
	while (isspace((unsigned char)*line))
		line++;
	size_t kl = strcspn(line, " \t");
	char kw[16];
	if (!kl || kl >= sizeof(kw))
		return error_set(err, -EINVAL, "%.*s is not a valid change command", (int)kl, line);
	memcpy(kw, line, kl);
	kw[kl] = '\0';
	for (char *c = kw; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	_cleanup_free_ char *args = strdup(line + kl + strspn(line + kl, " \t"));
	if (!args)
		return error_set(err, -ENOMEM, "out of memory");
	for (size_t n = strlen(args); n && isspace((unsigned char)args[n - 1]);)
		args[--n] = '\0';
	if (!strcmp(kw, "CMD")) {
		json_object_set_new(config, "Cmd", command_form(args));
		*cmd_set = true;
	} else if (!strcmp(kw, "ENTRYPOINT")) {
		json_object_set_new(config, "Entrypoint", *args ? command_form(args) : json_null());
		if (!*cmd_set)
			json_object_set_new(config, "Cmd", json_null());
	} else if (!strcmp(kw, "ENV") || !strcmp(kw, "LABEL")) {
		return key_values(config, kw, args, err);
	} else if (!strcmp(kw, "EXPOSE")) {
		return expose(config, args, err);
	} else if (!strcmp(kw, "VOLUME")) {
		return volume(config, args, err);
	} else if (!strcmp(kw, "USER")) {
		json_object_set_new(config, "User", json_string(args));
	} else if (!strcmp(kw, "WORKDIR")) {
		workdir(config, args);
	} else if (!strcmp(kw, "STOPSIGNAL")) {
		json_object_set_new(config, "StopSignal", json_string(args));
	} else if (!strcmp(kw, "ONBUILD")) {
		json_t *ob = json_object_get(config, "OnBuild");
		if (!json_is_array(ob))
			json_object_set_new(config, "OnBuild", ob = json_array());
		json_array_append_new(ob, json_string(args));
	} else {
		return error_set(err, -EINVAL, "%s is not a valid change command", kw);
	}
	if (!*args && strcmp(kw, "ENTRYPOINT") != 0)
		return error_set(err, -EINVAL, "%s requires at least one argument", kw);
	return 0;
}

int changes_apply(json_t *config, const char *const *changes, size_t n, struct error *err)
{
	bool cmd_set = false;
	for (size_t i = 0; i < n; i++) {
		if (!changes[i] || !*changes[i])
			continue;
		int r = apply_one(config, changes[i], &cmd_set, err);
		if (r < 0)
			return r;
	}
	return 0;
}
