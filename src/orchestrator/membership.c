#include "orchestrator/membership.h"

#include <string.h>

static const char *str_at(const json_t *o, const char *a, const char *b)
{
	return json_string_value(json_object_get(json_object_get(o, a), b));
}

static bool is_worker(const json_t *node)
{
	const char *role = str_at(node, "Spec", "Role");
	return role && strcmp(role, "worker") == 0;
}

static json_t *down_record(const json_t *node)
{
	json_t *copy = json_deep_copy(node);
	if (!copy)
		return NULL;
	json_t *status = json_object_get(copy, "Status");
	json_object_set_new(status, "State", json_string("down"));
	json_object_set_new(status, "Message", json_string("heartbeat failure"));
	json_t *ms = json_object_get(copy, "ManagerStatus");
	if (ms)
		json_object_set_new(ms, "Reachability", json_string("unreachable"));
	return copy;
}

/* Whether desc (a node's own report) says something its record does not. */
static bool desc_changed(const json_t *stored, const json_t *desc)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)desc, k, v)
	{
		/* No TLSInfo yet (json null): nothing to report. */
		if (!json_is_null(v) && !json_equal(v, json_object_get(stored, k)))
			return true;
	}
	return false;
}

json_t *node_ready_record(const json_t *node, const json_t *desc)
{
	const char *state = str_at(node, "Status", "State");
	json_t *ms = json_object_get(node, "ManagerStatus");
	const char *reach = json_string_value(json_object_get(ms, "Reachability"));
	bool changed =
	    json_is_object(desc) && desc_changed(json_object_get(node, "Description"), desc);
	if (state && strcmp(state, "ready") == 0 &&
	    (!ms || (reach && strcmp(reach, "reachable") == 0)) && !changed)
		return NULL;
	json_t *copy = json_deep_copy(node);
	if (!copy)
		return NULL;
	if (!json_is_object(json_object_get(copy, "Status")))
		json_object_set_new(copy, "Status", json_object());
	json_object_set_new(json_object_get(copy, "Status"), "State", json_string("ready"));
	json_object_del(json_object_get(copy, "Status"), "Message");
	if (ms)
		json_object_set_new(json_object_get(copy, "ManagerStatus"), "Reachability",
				    json_string("reachable"));
	if (changed) {
		if (!json_is_object(json_object_get(copy, "Description")))
			json_object_set_new(copy, "Description", json_object());
		json_t *d = json_object_get(copy, "Description");
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)desc, k, v)
		{
			if (!json_is_null(v))
				json_object_set(d, k, v);
		}
	}
	return copy;
}

int64_t node_beat_interval_ms(int64_t hb_ms)
{
	return hb_ms / NODE_BEATS_PER_PERIOD;
}

int64_t node_beat_timeout_ms(int64_t hb_ms)
{
	int64_t t = 2 * node_beat_interval_ms(hb_ms);
	return t > 1500 ? t : 1500;
}

int64_t node_silence_grace_ms(int64_t hb_ms)
{
	int64_t g = hb_ms + NODE_SILENCE_EXTRA_MS;
	return g > NODE_SILENCE_MIN_MS ? g : NODE_SILENCE_MIN_MS;
}

int64_t node_lost_grace_ms(int64_t hb_ms)
{
	int64_t silence = node_silence_grace_ms(hb_ms);
	return NODE_LOST_GRACE_MS < silence ? NODE_LOST_GRACE_MS : silence;
}

static void shift_times(json_t *map, int64_t by)
{
	const char *id;
	json_t *t;
	json_object_foreach(map, id, t) json_integer_set(t, json_integer_value(t) + by);
}

bool node_liveness_stalled(json_t *last_seen, json_t *lost, int64_t prev_ms, int64_t now_ms)
{
	if (prev_ms <= 0 || now_ms - prev_ms <= NODE_STALL_MS)
		return false;
	shift_times(last_seen, now_ms - prev_ms);
	shift_times(lost, now_ms - prev_ms);
	return true;
}

enum missed { MISSED_NOTHING, MISSED_BEATS, MISSED_LOST };

/* Whether a ready node is Down now: silent for too long, or its connection
 * lost and no word from it since. Drops a lost mark that contact made stale. */
static enum missed missed(const struct node_duty_view *v, const char *id, int64_t seen)
{
	json_t *lost = json_object_get(v->lost, id);
	int64_t lost_ms = json_integer_value(lost);
	if (lost && lost_ms <= seen) {
		json_object_del(v->lost, id);
		lost = NULL;
	}
	if (lost && v->now_ms - lost_ms > v->lost_grace_ms)
		return MISSED_LOST;
	if (seen < v->leader_since_ms + v->grace_ms)
		seen = v->leader_since_ms + v->grace_ms;
	return v->now_ms - seen > v->grace_ms ? MISSED_BEATS : MISSED_NOTHING;
}

void node_duty_next(const struct node_duty_view *v, struct node_duty *out)
{
	*out = (struct node_duty){.kind = NODE_DUTY_NONE};
	json_object_set_new(v->last_seen, v->self_id, json_integer(v->now_ms));
	const char *id;
	json_t *n;
	json_object_foreach(v->nodes, id, n)
	{
		json_t *seen = json_object_get(v->last_seen, id);
		if (!seen) {
			json_object_set_new(v->last_seen, id, json_integer(v->now_ms));
			json_object_del(v->lost, id);
			continue;
		}
		uint64_t rid = (uint64_t)json_integer_value(json_object_get(n, "_raft_id"));
		bool self = strcmp(id, v->self_id) == 0;
		if (is_worker(n) && rid) {
			bool voter = v->is_voter(v->ctx, rid);
			*out = (struct node_duty){
			    .kind = !voter ? NODE_DUTY_DEMOTED
				    : self ? NODE_DUTY_TRANSFER
					   : NODE_DUTY_REMOVE_VOTER,
			    .node_id = id,
			    .raft_id = rid,
			};
			return;
		}
		const char *state = str_at(n, "Status", "State");
		enum missed why = state && strcmp(state, "ready") == 0
				      ? missed(v, id, json_integer_value(seen))
				      : MISSED_NOTHING;
		if (why != MISSED_NOTHING) {
			json_t *down = down_record(n);
			if (!down)
				continue; /* out of memory: the next round tries again */
			*out = (struct node_duty){.kind = NODE_DUTY_WRITE,
						  .node_id = id,
						  .node = down,
						  .down = true,
						  .lost = why == MISSED_LOST};
			return;
		}
		if (self) {
			json_t *ready = node_ready_record(n, v->self_desc);
			if (ready) {
				*out = (struct node_duty){
				    .kind = NODE_DUTY_WRITE, .node_id = id, .node = ready};
				return;
			}
		}
	}
}

void node_duty_clear(struct node_duty *d)
{
	json_decref(d->node);
	*d = (struct node_duty){.kind = NODE_DUTY_NONE};
}

enum cert_action cert_decide(const struct cert_view *v)
{
	if (v->change_inflight)
		return CERT_KEEP;
	/* Certificates start an hour early (clock skew): not part of the life. */
	int64_t life = v->not_after_s - v->not_before_s - 3600;
	bool expiring = v->not_after_s - v->now_s < (life > 0 ? life : 0) / 3;
	if (v->want_manager != v->cert_manager || expiring || v->old_issuer)
		return CERT_RENEW;
	if (v->want_manager && !v->is_manager)
		return CERT_BECOME_MANAGER;
	if (!v->want_manager && v->is_manager)
		return CERT_BECOME_WORKER;
	return CERT_KEEP;
}

json_t *join_node_record(const json_t *req, const char *node_id, uint64_t raft_id, const char *role,
			 const char *addr)
{
	const char *avail = json_string_value(json_object_get(req, "availability"));
	const char *data = json_string_value(json_object_get(req, "data_addr"));
	json_t *node = json_pack("{s:s, s:I, s:{s:{}, s:s, s:s}, s:O?, s:{s:s, s:s}}", "ID",
				 node_id, "_raft_id", (json_int_t)raft_id, "Spec", "Labels", "Role",
				 role, "Availability", avail && *avail ? avail : "active",
				 "Description", json_object_get(req, "description"), "Status",
				 "State", "ready", "Addr", addr);
	if (node && data && *data)
		json_object_set_new(node, "_data_path_addr", json_string(data));
	return node;
}
