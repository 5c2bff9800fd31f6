/* Stale VIP conntrack entries (conntrack.h): a dump of the namespace's IPv4
 * table through NETLINK_NETFILTER, then one delete per stale entry by its
 * original tuple (and zone), as conntrack -D does. libnl-3's generic socket
 * and attribute helpers carry the messages; nothing of libnl-nf is needed. */
#include "network/conntrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

bool conntrack_stale(const struct nft_vip *vips, size_t n, const uint32_t *old_vips, size_t n_old,
		     uint32_t dst, uint32_t reply_src)
{
	if (reply_src == dst)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (vips[i].vip != dst)
			continue;
		for (size_t k = 0; k < vips[i].n_backends; k++)
			if (vips[i].backends[k] == reply_src)
				return false;
		return true;
	}
	for (size_t i = 0; i < n_old; i++)
		if (old_vips[i] == dst)
			return true;
	return false;
}

/* An entry to delete: its CTA_TUPLE_ORIG attribute as dumped, and zone. */
struct ct_victim {
	void *tuple;
	int tuple_len;
	uint16_t zone; /* network order; 0: none */
};

struct ct_scan {
	const struct nft_vip *vips;
	size_t n;
	const uint32_t *old_vips;
	size_t n_old;
	struct ct_victim *v;
	size_t n_v, cap;
	bool oom;
};

/* The IPv4 source or destination of a CTA_TUPLE_* attribute; false when
 * it has none. */
static bool tuple_addr(struct nlattr *tuple, int which, uint32_t *ret)
{
	struct nlattr *t[CTA_TUPLE_MAX + 1], *ip[CTA_IP_MAX + 1];
	if (!tuple || nla_parse_nested(t, CTA_TUPLE_MAX, tuple, NULL) < 0 || !t[CTA_TUPLE_IP] ||
	    nla_parse_nested(ip, CTA_IP_MAX, t[CTA_TUPLE_IP], NULL) < 0 || !ip[which] ||
	    nla_len(ip[which]) < 4)
		return false;
	*ret = ntohl(nla_get_u32(ip[which]));
	return true;
}

static int on_entry(struct nl_msg *msg, void *arg)
{
	struct ct_scan *s = arg;
	struct nlattr *tb[CTA_MAX + 1];
	uint32_t dst, src;
	if (nlmsg_parse(nlmsg_hdr(msg), sizeof(struct nfgenmsg), tb, CTA_MAX, NULL) < 0 ||
	    !tuple_addr(tb[CTA_TUPLE_ORIG], CTA_IP_V4_DST, &dst) ||
	    !tuple_addr(tb[CTA_TUPLE_REPLY], CTA_IP_V4_SRC, &src) ||
	    !conntrack_stale(s->vips, s->n, s->old_vips, s->n_old, dst, src))
		return NL_OK;
	if (s->n_v == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct ct_victim *v = realloc(s->v, cap * sizeof(*v));
		if (!v) {
			s->oom = true;
			return NL_OK;
		}
		s->v = v, s->cap = cap;
	}
	struct ct_victim *v = &s->v[s->n_v];
	v->tuple_len = nla_len(tb[CTA_TUPLE_ORIG]);
	v->tuple = malloc((size_t)v->tuple_len);
	if (!v->tuple) {
		s->oom = true;
		return NL_OK;
	}
	memcpy(v->tuple, nla_data(tb[CTA_TUPLE_ORIG]), (size_t)v->tuple_len);
	v->zone = tb[CTA_ZONE] ? nla_get_u16(tb[CTA_ZONE]) : 0;
	s->n_v++;
	return NL_OK;
}

static struct nl_msg *ct_msg(int type, int flags)
{
	struct nl_msg *m = nlmsg_alloc_simple((NFNL_SUBSYS_CTNETLINK << 8) | type, flags);
	struct nfgenmsg g = {.nfgen_family = AF_INET, .version = NFNETLINK_V0};
	if (m && nlmsg_append(m, &g, sizeof(g), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

static int ct_delete(struct nl_sock *sk, const struct ct_victim *v)
{
	struct nl_msg *m = ct_msg(IPCTNL_MSG_CT_DELETE, NLM_F_REQUEST | NLM_F_ACK);
	if (!m)
		return -NLE_NOMEM;
	int e = nla_put(m, CTA_TUPLE_ORIG | NLA_F_NESTED, v->tuple_len, v->tuple);
	if (e == 0 && v->zone)
		e = nla_put_u16(m, CTA_ZONE, v->zone);
	if (e == 0)
		e = nl_send_auto(sk, m);
	nlmsg_free(m);
	if (e >= 0)
		e = nl_wait_for_ack(sk);
	/* Gone meanwhile (timed out, or its flow closed): as good. */
	return e == -NLE_OBJ_NOTFOUND ? 0 : e;
}

int conntrack_flush_stale(const struct nft_vip *vips, size_t n, const uint32_t *old_vips,
			  size_t n_old, struct error *err)
{
	struct ct_scan s = {.vips = vips, .n = n, .old_vips = old_vips, .n_old = n_old};
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		return error_set(err, -ENOMEM, "out of memory");
	int e = nl_connect(sk, NETLINK_NETFILTER);
	struct nl_msg *m = e < 0 ? NULL : ct_msg(IPCTNL_MSG_CT_GET, NLM_F_REQUEST | NLM_F_DUMP);
	if (e == 0 && !m)
		e = -NLE_NOMEM;
	if (e == 0)
		e = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_entry, &s);
	if (e == 0)
		e = nl_send_auto(sk, m);
	nlmsg_free(m);
	if (e >= 0)
		e = nl_recvmsgs_default(sk);
	size_t gone = 0;
	for (size_t i = 0; i < s.n_v; i++) {
		if (e >= 0 && !s.oom) {
			e = ct_delete(sk, &s.v[i]);
			gone += e == 0;
		}
		free(s.v[i].tuple);
	}
	free(s.v);
	nl_socket_free(sk);
	if (s.oom)
		return error_set(err, -ENOMEM, "out of memory");
	if (e < 0)
		return error_set(err, -EIO, "conntrack: %s", nl_geterror(e));
	return (int)gone;
}
