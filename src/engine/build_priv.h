/* The builder's state, shared by build.c (driver, output), build_steps.c
 * (instructions) and build_run.c (RUN, COPY and ADD). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

#include "basic/error.h"
#include "engine/build.h"
#include "engine/container.h"
#include "image/build_context.h"
#include "shared/digest.h"
#include "image/dockerfile.h"
#include "shared/byte_sink.h"

struct build_stage {
	char *name; /* lower case, NULL when unnamed */
	char image_id[DIGEST_BUF];
};

struct build {
	struct containers *cs;
	struct byte_sink *out; /* ended by build_fail or finish */
	bool streaming;	       /* something was written to out */
	struct build_opts o;
	int body_fd;
	uv_work_t work;
	struct build_context ctx;
	struct dockerfile *df;
	size_t pc, end; /* next instruction, and where the build stops */
	int step, total;

	/* The stage being built. */
	struct build_stage *stages;
	size_t n_stages;
	char image_id[DIGEST_BUF]; /* "" for scratch */
	bool have_image;
	json_t *config;		  /* the image's Config as built so far */
	json_t *shell;		  /* SHELL, default ["/bin/sh","-c"] */
	json_t *args;		  /* ARGs declared in the stage: name -> value or null */
	json_t *meta_args;	  /* ARGs before the first FROM */
	bool cmd_set;		  /* CMD given in this stage */
	json_t *pending_triggers; /* ONBUILD triggers of the base still to run */

	struct error err;
};

/* Output lines of the JSON stream ({"stream": ...}); nothing when quiet. */
void build_out(struct build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void build_out_raw(struct build *b, const char *data, size_t len);
void build_short_id(const char *id, char out[13]);

/* Runs the next instruction (or finishes). Every step ends by calling it
 * again, or build_fail with b->err set. */
void build_next(struct build *b);
void build_fail(struct build *b);

/* build_steps.c */
void build_dispatch(struct build *b, struct df_inst *in);
void build_run_trigger(struct build *b);
/* Expands word against the stage's ENV and ARG values. */
int build_expand(struct build *b, const char *word, char **ret);
/* The step's result is img_id: the stage goes on from it. */
void build_step_done(struct build *b, const char *img_id, bool cached);
/* Looks for an earlier step with the same parent and run config. */
bool build_cache_find(struct build *b, json_t *run_config, char *ret_id);
/* The run config of a step: the config with cmd and the parent image. */
json_t *build_run_config(struct build *b, json_t *cmd);
/* Commits a step without layer, or with the tar in layer_fd (owned, -1
 * for none), then goes on. */
void build_commit(struct build *b, json_t *run_config, int layer_fd);
/* Build args and declared ARGs with values, as NAME=value strings. */
json_t *build_arg_env(struct build *b);

/* build_run.c */
void build_run(struct build *b, struct df_inst *in);
void build_copy(struct build *b, struct df_inst *in);
