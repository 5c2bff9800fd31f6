/* The Dockerfile parser, word expansion, the .dockerignore matcher and
 * Go's path.Clean (src/image/dockerfile.c, dockerignore.c, basic/path.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "basic/path.h"
#include "image/dockerfile.h"

static struct dockerfile *parse_ok(const char *text)
{
	struct dockerfile *df = NULL;
	struct error err = ERROR_INIT;
	int r = dockerfile_parse(text, strlen(text), &df, &err);
	if (r < 0)
		fail_msg("parse failed: %s", error_msg(&err));
	error_clear(&err);
	return df;
}

static void parse_fails(const char *text, const char *msg)
{
	struct dockerfile *df = NULL;
	struct error err = ERROR_INIT;
	assert_int_equal(dockerfile_parse(text, strlen(text), &df, &err), -EINVAL);
	assert_null(df);
	assert_string_equal(error_msg(&err), msg);
	error_clear(&err);
}

static void assert_json(json_t *v, const char *expect)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	assert_string_equal(s, expect);
	free(s);
}

static void test_lines_comments_continuations(void **state)
{
	struct dockerfile *df = parse_ok("# syntax=docker/dockerfile:1\n"
					 "\n"
					 "from busybox AS Build\r\n"
					 "# a comment\n"
					 "RUN echo a \\\n"
					 "  # inside a continuation\n"
					 "\n"
					 "    && echo b\n"
					 "  CMD [\"a\", \"b\"]\n"
					 "ENTRYPOINT echo x\n");
	assert_int_equal(df->n, 4);
	assert_int_equal(df->escape, '\\');
	assert_int_equal(df->v[0].kind, DF_FROM);
	assert_int_equal(df->v[0].line, 3);
	assert_json(df->v[0].words, "[\"busybox\",\"AS\",\"Build\"]");
	assert_int_equal(df->v[1].kind, DF_RUN);
	assert_int_equal(df->v[1].line, 5);
	assert_string_equal(df->v[1].text, "RUN echo a     && echo b");
	assert_false(df->v[1].json);
	assert_json(df->v[1].words, "[\"echo a     && echo b\"]");
	assert_true(df->v[2].json);
	assert_json(df->v[2].words, "[\"a\",\"b\"]");
	assert_false(df->v[3].json);
	dockerfile_free(df);
}

static void test_escape_directive(void **state)
{
	struct dockerfile *df = parse_ok("# escape=`\nFROM x\nRUN dir c:\\ `\n  && echo ok\n");
	assert_int_equal(df->escape, '`');
	assert_json(df->v[1].words, "[\"dir c:\\\\   && echo ok\"]");
	dockerfile_free(df);
	parse_fails("# escape=x\nFROM a\n", "invalid ESCAPE 'x'. Must be ` or \\");
	/* A directive after an instruction is a comment. */
	df = parse_ok("FROM a\n# escape=`\nRUN a \\\n b\n");
	assert_int_equal(df->escape, '\\');
	dockerfile_free(df);
}

static void test_env_label_arg(void **state)
{
	struct dockerfile *df =
	    parse_ok("FROM a\nENV A=1 B=\"two words\" C=x\\ y\nENV legacy value with spaces\n"
		     "LABEL \"com.x\"=v k=\nARG N\nARG M=3 O\n");
	assert_json(df->v[1].words, "[\"A\",\"1\",\"B\",\"\\\"two words\\\"\",\"C\",\"x\\\\ y\"]");
	assert_json(df->v[2].words, "[\"legacy\",\"value with spaces\"]");
	assert_json(df->v[3].words, "[\"\\\"com.x\\\"\",\"v\",\"k\",\"\"]");
	assert_json(df->v[4].words, "[\"N\"]");
	assert_json(df->v[5].words, "[\"M=3\",\"O\"]");
	dockerfile_free(df);
	parse_fails("FROM a\nENV\n",
		    "dockerfile parse error line 2: ENV requires at least one argument");
	parse_fails("FROM a\nENV a=1 b\n", "dockerfile parse error line 2: Syntax error - can't "
					   "find = in \"b\". Must be of the form: name=value");
	parse_fails("FROM a\nENV =x\n",
		    "dockerfile parse error line 2: ENV names can not be blank");
	parse_fails("FROM a\nENV onlykey\n",
		    "dockerfile parse error line 2: ENV must have two arguments");
	parse_fails("FROM a\nLABEL nolabel\n",
		    "dockerfile parse error line 2: Syntax error - can't find = in \"nolabel\". "
		    "Must be of the form: name=value");
}

static void test_instructions_and_errors(void **state)
{
	struct dockerfile *df =
	    parse_ok("FROM --platform=linux/amd64 a\nCOPY --from=b --chown=1:2 x y /d/\n"
		     "ADD [\"a b\", \"/c\"]\nHEALTHCHECK --interval=5s CMD [\"true\"]\n"
		     "HEALTHCHECK NONE\nONBUILD RUN echo hi\nSHELL [\"/bin/bash\", \"-c\"]\n"
		     "EXPOSE 80 53/udp\nVOLUME [\"/a\", \"/b\"]\nUSER me:grp\nWORKDIR rel\n"
		     "STOPSIGNAL SIGINT\nMAINTAINER someone\n");
	assert_int_equal(df->n, 13);
	assert_string_equal(df_flag(&df->v[0], "platform"), "linux/amd64");
	assert_string_equal(df_flag(&df->v[1], "from"), "b");
	assert_string_equal(df_flag(&df->v[1], "chown"), "1:2");
	assert_null(df_flag(&df->v[1], "chmod"));
	assert_json(df->v[1].words, "[\"x\",\"y\",\"/d/\"]");
	assert_true(df->v[2].json);
	assert_json(df->v[3].words, "[\"CMD\",\"true\"]");
	assert_string_equal(df_flag(&df->v[3], "interval"), "5s");
	assert_json(df->v[4].words, "[\"NONE\"]");
	assert_non_null(df->v[5].inner);
	assert_int_equal(df->v[5].inner->kind, DF_RUN);
	assert_string_equal(df->v[5].inner->text, "RUN echo hi");
	assert_json(df->v[8].words, "[\"/a\",\"/b\"]");
	assert_string_equal(df_kind_name(df->v[12].kind), "MAINTAINER");
	dockerfile_free(df);

	parse_fails("FROM a\nFOO bar\n", "dockerfile parse error line 2: unknown instruction: FOO");
	parse_fails("FROM a\nfoo\n", "dockerfile parse error line 2: unknown instruction: FOO");
	parse_fails("FROM a\nCOPY x\n",
		    "dockerfile parse error line 2: COPY requires at least two arguments, but only "
		    "one was provided. Destination could not be determined.");
	parse_fails("FROM a\nCOPY --nope x y\n",
		    "dockerfile parse error line 2: Unknown flag: nope");
	parse_fails("FROM a b\n",
		    "dockerfile parse error line 1: FROM requires either one or three arguments");
	parse_fails("FROM a AS 1x\n",
		    "dockerfile parse error line 1: invalid name for build stage: \"1x\", name "
		    "can't start with a number or contain symbols");
	parse_fails("FROM a\nRUN\n",
		    "dockerfile parse error line 2: RUN requires at least one argument");
	parse_fails(
	    "FROM a\nSHELL /bin/sh\n",
	    "dockerfile parse error line 2: SHELL requires the arguments to be in JSON form");
	parse_fails("FROM a\nONBUILD FROM b\n",
		    "dockerfile parse error line 2: FROM isn't allowed as an ONBUILD trigger");
	parse_fails("FROM a\nHEALTHCHECK RUN x\n",
		    "dockerfile parse error line 2: Unknown type \"RUN\" in HEALTHCHECK (try CMD)");
	parse_fails("FROM a\nWORKDIR\n",
		    "dockerfile parse error line 2: WORKDIR requires exactly one argument");
	parse_fails("", "file with no instructions");
	parse_fails("# only\n\n   \n", "file with no instructions");
}

static const char *lookup(const char *name, void *userdata)
{
	static const char *const vars[][2] = {{"A", "alpha"}, {"EMPTY", ""}, {"P", "/usr/bin"}};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (!strcmp(vars[i][0], name))
			return vars[i][1];
	return NULL;
}

static void expands(const char *word, const char *expect)
{
	char *out = NULL;
	struct error err = ERROR_INIT;
	if (df_expand(word, '\\', lookup, NULL, &out, &err) < 0)
		fail_msg("expand %s: %s", word, error_msg(&err));
	assert_string_equal(out, expect);
	free(out);
}

static void expand_fails(const char *word, const char *msg)
{
	char *out = NULL;
	struct error err = ERROR_INIT;
	assert_int_equal(df_expand(word, '\\', lookup, NULL, &out, &err), -EINVAL);
	assert_string_equal(error_msg(&err), msg);
	error_clear(&err);
}

static void test_expand(void **state)
{
	expands("$A", "alpha");
	expands("${A}x", "alphax");
	expands("$Ax", "");
	expands("${NOPE:-def}", "def");
	expands("${EMPTY:-def}", "def");
	expands("${EMPTY-def}", "");
	expands("${NOPE-def}", "def");
	expands("${A:+set}", "set");
	expands("${EMPTY:+set}", "");
	expands("${EMPTY+set}", "set");
	expands("${NOPE:+set}", "");
	expands("${NOPE:-${A}/x}", "alpha/x");
	expands("'$A'", "$A");
	expands("\"$A b\"", "alpha b");
	expands("\\$A", "$A");
	expands("a\\ b", "a b");
	expands("\"x\\\"y\"", "x\"y");
	expands("$", "$");
	expands("100%", "100%");
	expands("$P:/bin", "/usr/bin:/bin");
	expand_fails("${A", "missing '}'");
	expand_fails("${A:=x}", "unsupported modifier (=) in substitution");
	expand_fails("'open",
		     "unexpected end of statement while looking for matching single-quote");
	expand_fails("${NOPE:?must be set}", "NOPE: must be set");
}

static void test_split_words(void **state)
{
	json_t *w = df_split_words("a \"b c\" 'd e'  f\\ g", '\\');
	assert_json(w, "[\"a\",\"\\\"b c\\\"\",\"'d e'\",\"f\\\\ g\"]");
	json_decref(w);
	assert_null(df_split_words("\"open", '\\'));
}

static struct dockerignore *ignore(const char *text)
{
	struct dockerignore *di = NULL;
	struct error err = ERROR_INIT;
	assert_int_equal(dockerignore_parse(text, strlen(text), &di, &err), 0);
	return di;
}

static void test_dockerignore(void **state)
{
	struct dockerignore *di =
	    ignore("# comment\n*.log\n/build\ndocs\n!docs/README.md\n**/tmp\n  sp ace  \n");
	assert_true(dockerignore_excluded(di, "a.log"));
	assert_false(dockerignore_excluded(di, "dir/a.log")); /* '*' stops at '/' */
	assert_true(dockerignore_excluded(di, "build"));
	assert_true(dockerignore_excluded(di, "build/x/y")); /* a parent matches */
	assert_true(dockerignore_excluded(di, "docs/other.md"));
	assert_false(dockerignore_excluded(di, "docs/README.md"));
	assert_true(dockerignore_excluded(di, "tmp"));
	assert_true(dockerignore_excluded(di, "a/b/tmp/c"));
	assert_true(dockerignore_excluded(di, "sp ace"));
	assert_false(dockerignore_excluded(di, "src/main.c"));
	assert_true(dockerignore_has_exceptions(di));
	dockerignore_free(di);
	di = ignore("*\n!keep\n");
	assert_true(dockerignore_excluded(di, "Dockerfile"));
	assert_false(dockerignore_excluded(di, "keep"));
	dockerignore_free(di);
	di = ignore("a/../b\n./c/\n");
	assert_true(dockerignore_excluded(di, "b"));
	assert_true(dockerignore_excluded(di, "c/d"));
	assert_false(dockerignore_excluded(di, "a"));
	dockerignore_free(di);
	struct dockerignore *bad = NULL;
	struct error err = ERROR_INIT;
	assert_int_equal(dockerignore_parse("!\n", 2, &bad, &err), -EINVAL);
	error_clear(&err);
}

static void test_glob(void **state)
{
	assert_true(df_glob_match("*.txt", "a.txt", false));
	assert_false(df_glob_match("*.txt", "d/a.txt", false));
	assert_true(df_glob_match("d/?.txt", "d/a.txt", false));
	assert_true(df_glob_match("[a-c]x", "bx", false));
	assert_false(df_glob_match("[^a-c]x", "bx", false));
	/* Stars that could split the name every way: a client's .dockerignore
	 * must not cost exponential time (fuzz_dockerignore found it). */
	char many_a[201];
	memset(many_a, 'a', 200);
	many_a[200] = 0;
	assert_false(df_glob_match("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", many_a, false));
	assert_false(df_glob_match("**/a**a**a**a**a**a**a**a**a**a**a**b", many_a, true));
	assert_true(df_glob_match("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a", many_a, false));
	assert_true(df_glob_match("\\*", "*", false));
	assert_false(df_glob_match("**/x", "a/b/x", false));
	assert_true(df_glob_match("**/x", "a/b/x", true));
	assert_true(df_glob_match("**/x", "x", true));
	assert_true(df_glob_match("a/**", "a/b/c", true));
	assert_false(df_glob_match("[", "[", false));
}

static void cleans(const char *in, const char *out)
{
	char *c = path_clean(in);
	assert_string_equal(c, out);
	free(c);
}

static void test_path_clean(void **state)
{
	cleans("", ".");
	cleans("/", "/");
	cleans("a/b/../c", "a/c");
	cleans("/../x", "/x");
	cleans("../../x", "../../x");
	cleans("a//b/./c/", "a/b/c");
	cleans("./", ".");
	char *j = path_join("/app", "../x/");
	assert_string_equal(j, "/x");
	free(j);
	char *b = path_base("/a/b/");
	assert_string_equal(b, "b");
	free(b);
	char *d = path_dir("/a/b");
	assert_string_equal(d, "/a");
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines_comments_continuations),
	    cmocka_unit_test(test_escape_directive),
	    cmocka_unit_test(test_env_label_arg),
	    cmocka_unit_test(test_instructions_and_errors),
	    cmocka_unit_test(test_expand),
	    cmocka_unit_test(test_split_words),
	    cmocka_unit_test(test_dockerignore),
	    cmocka_unit_test(test_glob),
	    cmocka_unit_test(test_path_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
