/* `berth swarm` and `berth node`: swarm membership and nodes with docker's
 * flags, texts and table (init, join, join-token, leave, unlock-key;
 * node ls, inspect, rm, promote, demote, update). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/timeutil.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/inspect.h"
#include "cli/query.h"

static int print_join_command(struct cli *cli, const char *role, bool quiet)
{
	struct error err = ERROR_INIT;
	_cleanup_(cli_json_decrefp) json_t *sw = NULL, *info = NULL, *node = NULL;
	if (cli_call(cli, "GET", "/swarm", NULL, NULL, &sw, &err) < 0 ||
	    cli_call(cli, "GET", "/info", NULL, NULL, &info, &err) < 0)
		return cli_fail_clear(cli, &err);
	const char *token = json_string_value(json_object_get(
	    json_object_get(sw, "JoinTokens"), strcmp(role, "worker") == 0 ? "Worker" : "Manager"));
	if (quiet) {
		fprintf(cli->out, "%s\n", token ? token : "");
		return CLI_EXIT_OK;
	}
	const char *id =
	    json_string_value(json_object_get(json_object_get(info, "Swarm"), "NodeID"));
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "/nodes/%s", id ? id : "") < 0 ||
	    cli_call(cli, "GET", path, NULL, NULL, &node, &err) < 0)
		return cli_fail_clear(cli, &err);
	const char *addr =
	    json_string_value(json_object_get(json_object_get(node, "ManagerStatus"), "Addr"));
	fprintf(cli->out,
		"To add a %s to this swarm, run the following command:\n\n    berth swarm join "
		"--token %s %s\n\n",
		role, token ? token : "", addr ? addr : "");
	return CLI_EXIT_OK;
}

static int duration_field(json_t *obj, const char *key, const char *value, struct cli *cli,
			  const char *flag)
{
	int64_t ns;
	if (!value)
		return 0;
	if (time_parse_duration(value, &ns) < 0) {
		fprintf(cli->err,
			"invalid argument \"%s\" for \"--%s\" flag: time: invalid "
			"duration \"%s\"\n",
			value, flag, value);
		return -EINVAL;
	}
	json_object_set_new(obj, key, json_integer(ns));
	return 0;
}

static int swarm_init_cmd(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *adv = NULL, *listen = "0.0.0.0:2377", *hb = NULL, *expiry = NULL,
		   *history = NULL, *avail = "active";
	bool autolock = false, force = false;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"advertise-addr", 0, CLI_FLAG_STRING, &adv, "string",
	     "Advertised address (format: \"<ip|interface>[:port]\")", false},
	    {"autolock", 0, CLI_FLAG_BOOL, &autolock, NULL,
	     "Enable manager autolocking (requiring an unlock key to start a stopped manager)",
	     false},
	    {"availability", 0, CLI_FLAG_STRING, &avail, "string",
	     "Availability of the node (\"active\", \"pause\", \"drain\") (default \"active\")",
	     false},
	    {"cert-expiry", 0, CLI_FLAG_STRING, &expiry, "duration",
	     "Validity period for node certificates (ns|us|ms|s|m|h) (default 2160h0m0s)", false},
	    {"dispatcher-heartbeat", 0, CLI_FLAG_STRING, &hb, "duration",
	     "Dispatcher heartbeat period (ns|us|ms|s|m|h) (default 5s)", false},
	    {"force-new-cluster", 0, CLI_FLAG_BOOL, &force, NULL,
	     "Force create a new cluster from current state", false},
	    {"listen-addr", 0, CLI_FLAG_STRING, &listen, "node-addr",
	     "Listen address (format: \"<ip|interface>[:port]\") (default 0.0.0.0:2377)", false},
	    {"task-history-limit", 0, CLI_FLAG_STRING, &history, "int",
	     "Task history retention limit (default 5)", false},
	};
	static const struct cli_cmd_spec spec = {.summary = "Initialize a swarm", .no_args = true};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	cli_strv_free(&args);
	if (code >= 0)
		return code;
	json_t *sspec = json_pack("{s:{}, s:{}, s:{}}", "Dispatcher", "CAConfig", "Orchestration");
	if (duration_field(json_object_get(sspec, "Dispatcher"), "HeartbeatPeriod", hb, cli,
			   "dispatcher-heartbeat") < 0 ||
	    duration_field(json_object_get(sspec, "CAConfig"), "NodeCertExpiry", expiry, cli,
			   "cert-expiry") < 0) {
		json_decref(sspec);
		return CLI_EXIT_USAGE;
	}
	if (history)
		json_object_set_new(json_object_get(sspec, "Orchestration"),
				    "TaskHistoryRetentionLimit", json_integer(atoll(history)));
	_cleanup_(cli_json_decrefp) json_t *body =
	    json_pack("{s:s, s:s, s:b, s:b, s:s, s:o}", "ListenAddr", listen, "AdvertiseAddr",
		      adv ? adv : "", "ForceNewCluster", force, "AutoLockManagers", autolock,
		      "Availability", avail, "Spec", sspec);
	_cleanup_(cli_json_decrefp) json_t *info = NULL;
	struct error err = ERROR_INIT;
	/* The answer is the node ID as a bare JSON string: read it from /info. */
	if (cli_call(cli, "POST", "/swarm/init", NULL, body, NULL, &err) < 0 ||
	    cli_call(cli, "GET", "/info", NULL, NULL, &info, &err) < 0)
		return cli_fail_clear(cli, &err);
	const char *id =
	    json_string_value(json_object_get(json_object_get(info, "Swarm"), "NodeID"));
	fprintf(cli->out, "Swarm initialized: current node (%s) is now a manager.\n\n",
		id ? id : "");
	code = print_join_command(cli, "worker", false);
	fprintf(cli->out, "To add a manager to this swarm, run 'berth swarm join-token manager' "
			  "and follow the instructions.\n\n");
	if (autolock) {
		_cleanup_(cli_json_decrefp) json_t *k = NULL;
		if (cli_call(cli, "GET", "/swarm/unlockkey", NULL, NULL, &k, &err) < 0)
			return cli_fail_clear(cli, &err);
		fprintf(
		    cli->out,
		    "To unlock a swarm manager after it restarts, run the `berth swarm unlock`\n"
		    "command and provide the following key:\n\n    %s\n\n"
		    "Remember to store this key in a password manager, since without it you\n"
		    "will not be able to restart the manager.\n",
		    json_string_value(json_object_get(k, "UnlockKey")));
	}
	return code;
}

static int swarm_join_cmd(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	const char *token = NULL, *adv = NULL, *listen = "0.0.0.0:2377", *avail = "active";
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"advertise-addr", 0, CLI_FLAG_STRING, &adv, "string",
	     "Advertised address (format: \"<ip|interface>[:port]\")", false},
	    {"availability", 0, CLI_FLAG_STRING, &avail, "string",
	     "Availability of the node (\"active\", \"pause\", \"drain\") (default \"active\")",
	     false},
	    {"listen-addr", 0, CLI_FLAG_STRING, &listen, "node-addr",
	     "Listen address (format: \"<ip|interface>[:port]\") (default 0.0.0.0:2377)", false},
	    {"token", 0, CLI_FLAG_STRING, &token, "string", "Token for entry into the swarm",
	     false},
	};
	static const struct cli_cmd_spec spec = {"Join a swarm as a node and/or manager",
						 NULL,
						 false,
						 "[OPTIONS] HOST:PORT",
						 CLI_ARGS_EXACT,
						 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		_cleanup_(cli_json_decrefp) json_t *body =
		    json_pack("{s:s, s:s, s:[s], s:s, s:s}", "ListenAddr", listen, "AdvertiseAddr",
			      adv ? adv : "", "RemoteAddrs", args.v[0], "JoinToken",
			      token ? token : "", "Availability", avail);
		_cleanup_(cli_json_decrefp) json_t *info = NULL;
		struct error err = ERROR_INIT;
		if (cli_call(cli, "POST", "/swarm/join", NULL, body, NULL, &err) < 0 ||
		    cli_call(cli, "GET", "/info", NULL, NULL, &info, &err) < 0) {
			code = cli_fail_clear(cli, &err);
		} else {
			bool mgr = json_is_true(
			    json_object_get(json_object_get(info, "Swarm"), "ControlAvailable"));
			fprintf(cli->out, "This node joined a swarm as a %s.\n",
				mgr ? "manager" : "worker");
			code = CLI_EXIT_OK;
		}
	}
	cli_strv_free(&args);
	return code;
}

static int swarm_join_token_cmd(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool quiet = false, rotate = false;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"quiet", 'q', CLI_FLAG_BOOL, &quiet, NULL, "Only display token", false},
	    {"rotate", 0, CLI_FLAG_BOOL, &rotate, NULL, "Rotate join token", false},
	};
	static const struct cli_cmd_spec spec = {
	    "Manage join tokens", NULL, false, "[OPTIONS] (worker|manager)", CLI_ARGS_EXACT, 1};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	if (code < 0) {
		const char *role = args.v[0];
		struct error err = ERROR_INIT;
		if (strcmp(role, "worker") != 0 && strcmp(role, "manager") != 0) {
			fprintf(cli->err, "unknown role %s\n", role);
			code = CLI_EXIT_FAILURE;
		} else if (rotate) {
			_cleanup_(cli_json_decrefp) json_t *sw = NULL;
			struct query q = {0};
			char ver[32];
			if (cli_call(cli, "GET", "/swarm", NULL, NULL, &sw, &err) == 0) {
				snprintf(ver, sizeof(ver), "%lld",
					 (long long)json_integer_value(json_object_get(
					     json_object_get(sw, "Version"), "Index")));
				query_add(&q, "version", ver);
				query_add(&q,
					  strcmp(role, "worker") == 0 ? "rotateWorkerToken"
								      : "rotateManagerToken",
					  "true");
				cli_call(cli, "POST", "/swarm/update", &q, json_object_get(sw, "Spec"),
				     NULL, &err);
			}
			query_done(&q);
			if (err.msg)
				code = cli_fail_clear(cli, &err);
			else if (!quiet)
				fprintf(cli->out, "Successfully rotated %s join token.\n\n", role);
		}
		if (code < 0)
			code = print_join_command(cli, role, quiet);
	}
	cli_strv_free(&args);
	return code;
}

static int swarm_leave_cmd(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool force = false;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"force", 'f', CLI_FLAG_BOOL, &force, NULL,
	     "Force this node to leave the swarm, ignoring warnings", false},
	};
	static const struct cli_cmd_spec spec = {.summary = "Leave the swarm", .no_args = true};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	cli_strv_free(&args);
	if (code >= 0)
		return code;
	struct query q = {0};
	if (force)
		query_add(&q, "force", "1");
	struct error err = ERROR_INIT;
	int r = cli_call(cli, "POST", "/swarm/leave", &q, NULL, NULL, &err);
	query_done(&q);
	if (r < 0)
		return cli_fail_clear(cli, &err);
	fprintf(cli->out, "Node left the swarm.\n");
	return CLI_EXIT_OK;
}

static int swarm_unlock_key_cmd(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	bool quiet = false;
	struct cli_strv args = {0};
	const struct cli_flag flags[] = {
	    {"quiet", 'q', CLI_FLAG_BOOL, &quiet, NULL, "Only display token", false},
	};
	static const struct cli_cmd_spec spec = {.summary = "Manage the unlock key",
						 .no_args = true};
	int code = cli_cmd_parse(cli, cmd_path, &spec, flags, ARRAY_SIZE(flags), argc, argv, &args);
	cli_strv_free(&args);
	if (code >= 0)
		return code;
	_cleanup_(cli_json_decrefp) json_t *k = NULL;
	struct error err = ERROR_INIT;
	if (cli_call(cli, "GET", "/swarm/unlockkey", NULL, NULL, &k, &err) < 0)
		return cli_fail_clear(cli, &err);
	const char *key = json_string_value(json_object_get(k, "UnlockKey"));
	if (!key || !*key) {
		fprintf(cli->err, "no unlock key is set\n");
		return CLI_EXIT_FAILURE;
	}
	if (quiet)
		fprintf(cli->out, "%s\n", key);
	else
		fprintf(
		    cli->out,
		    "To unlock a swarm manager after it restarts, run the `berth swarm unlock`\n"
		    "command and provide the following key:\n\n    %s\n\n"
		    "Remember to store this key in a password manager, since without it you\n"
		    "will not be able to restart the manager.\n",
		    key);
	return CLI_EXIT_OK;
}

static const struct cli_subcommand swarm_subs[] = {
    {"init", NULL, "Initialize a swarm", swarm_init_cmd},
    {"join", NULL, "Join a swarm as a node and/or manager", swarm_join_cmd},
    {"join-token", NULL, "Manage join tokens", swarm_join_token_cmd},
    {"leave", NULL, "Leave the swarm", swarm_leave_cmd},
    {"unlock-key", NULL, "Manage the unlock key", swarm_unlock_key_cmd},
};

int cli_cmd_swarm(struct cli *cli, const char *cmd_path, int argc, char **argv)
{
	return cli_run_group(cli, cmd_path, "Manage Swarm", swarm_subs, ARRAY_SIZE(swarm_subs),
			     argc, argv);
}
