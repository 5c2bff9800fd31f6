/* ESP states and policies through xfrm netlink (see xfrm.h). */
#include "network/xfrm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/xfrm.h>
#include <netinet/in.h>
#include <netlink/netlink.h>
#include <netlink/xfrm/lifetime.h>
#include <netlink/xfrm/sa.h>
#include <netlink/xfrm/selector.h>
#include <netlink/xfrm/sp.h>
#include <netlink/xfrm/template.h>

#define AEAD_ALG "rfc4106(gcm(aes))"
#define AEAD_ICV_BITS 128

static int nle_errno(int e)
{
	switch (-e) {
	case NLE_EXIST:
		return -EEXIST;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	default:
		return -EIO;
	}
}

static void sock_freep(struct nl_sock **s)
{
	if (*s)
		nl_socket_free(*s);
}
#define _cleanup_sock_ __attribute__((cleanup(sock_freep)))

static void addr_putp(struct nl_addr **a)
{
	if (*a)
		nl_addr_put(*a);
}
#define _cleanup_addr_ __attribute__((cleanup(addr_putp)))

static void sa_putp(struct xfrmnl_sa **sa)
{
	if (*sa)
		xfrmnl_sa_put(*sa);
}

static void sp_putp(struct xfrmnl_sp **sp)
{
	if (*sp)
		xfrmnl_sp_put(*sp);
}

static void cache_freep(struct nl_cache **c)
{
	if (*c)
		nl_cache_free(*c);
}

static void ltime_putp(struct xfrmnl_ltime_cfg **l)
{
	if (*l)
		xfrmnl_ltime_cfg_put(*l);
}

static void sel_putp(struct xfrmnl_sel **s)
{
	if (*s)
		xfrmnl_sel_put(*s);
}

static int open_sock(struct nl_sock **ret, struct error *err)
{
	struct nl_sock *s = nl_socket_alloc();
	if (!s)
		return error_set(err, -ENOMEM, "out of memory");
	int e = nl_connect(s, NETLINK_XFRM);
	if (e < 0) {
		nl_socket_free(s);
		return error_set(err, nle_errno(e), "xfrm netlink: %s", nl_geterror(e));
	}
	*ret = s;
	return 0;
}

static struct nl_addr *v4(uint32_t host)
{
	uint32_t ip = htonl(host);
	struct nl_addr *a = nl_addr_build(AF_INET, &ip, sizeof(ip));
	if (a)
		nl_addr_set_prefixlen(a, 32);
	return a;
}

static uint32_t v4_of(struct nl_addr *a)
{
	uint32_t ip = 0;
	if (a && nl_addr_get_family(a) == AF_INET && nl_addr_get_len(a) == sizeof(ip))
		memcpy(&ip, nl_addr_get_binary_addr(a), sizeof(ip));
	return ntohl(ip);
}

/* No limit on bytes, packets or time: the kernel reads 0 as "expired". */
static struct xfrmnl_ltime_cfg *no_limits(void)
{
	struct xfrmnl_ltime_cfg *l = xfrmnl_ltime_cfg_alloc();
	if (!l)
		return NULL;
	xfrmnl_ltime_cfg_set_soft_bytelimit(l, XFRM_INF);
	xfrmnl_ltime_cfg_set_hard_bytelimit(l, XFRM_INF);
	xfrmnl_ltime_cfg_set_soft_packetlimit(l, XFRM_INF);
	xfrmnl_ltime_cfg_set_hard_packetlimit(l, XFRM_INF);
	return l;
}

int xfrm_sa_set(const struct xfrm_sa *x, const uint8_t key[XFRM_KEY_LEN], uint32_t reqid,
		struct error *err)
{
	_cleanup_sock_ struct nl_sock *s = NULL;
	__attribute__((cleanup(sa_putp))) struct xfrmnl_sa *sa = xfrmnl_sa_alloc();
	__attribute__((cleanup(ltime_putp))) struct xfrmnl_ltime_cfg *lft = no_limits();
	_cleanup_addr_ struct nl_addr *src = v4(x->src);
	_cleanup_addr_ struct nl_addr *dst = v4(x->dst);
	int r = open_sock(&s, err);
	if (r < 0)
		return r;
	if (!sa || !lft || !src || !dst)
		return error_set(err, -ENOMEM, "out of memory");
	xfrmnl_sa_set_family(sa, AF_INET);
	xfrmnl_sa_set_saddr(sa, src);
	xfrmnl_sa_set_daddr(sa, dst);
	xfrmnl_sa_set_proto(sa, IPPROTO_ESP);
	xfrmnl_sa_set_spi(sa, x->spi);
	xfrmnl_sa_set_mode(sa, XFRM_MODE_TRANSPORT);
	xfrmnl_sa_set_reqid(sa, reqid);
	xfrmnl_sa_set_lifetime_cfg(sa, lft);
	int e = xfrmnl_sa_set_aead_params(sa, AEAD_ALG, XFRM_KEY_LEN * 8, AEAD_ICV_BITS,
					  (const char *)key);
	if (e >= 0)
		e = xfrmnl_sa_update(s, sa, 0);
	if (e == -NLE_OBJ_NOTFOUND)
		e = xfrmnl_sa_add(s, sa, NLM_F_CREATE);
	if (e < 0)
		return error_set(err, nle_errno(e), "xfrm state spi 0x%08x: %s", x->spi,
				 nl_geterror(e));
	return 0;
}

int xfrm_sa_del(const struct xfrm_sa *x, struct error *err)
{
	_cleanup_sock_ struct nl_sock *s = NULL;
	__attribute__((cleanup(sa_putp))) struct xfrmnl_sa *sa = xfrmnl_sa_alloc();
	_cleanup_addr_ struct nl_addr *dst = v4(x->dst);
	int r = open_sock(&s, err);
	if (r < 0)
		return r;
	if (!sa || !dst)
		return error_set(err, -ENOMEM, "out of memory");
	xfrmnl_sa_set_family(sa, AF_INET);
	xfrmnl_sa_set_daddr(sa, dst);
	xfrmnl_sa_set_proto(sa, IPPROTO_ESP);
	xfrmnl_sa_set_spi(sa, x->spi);
	int e = xfrmnl_sa_delete(s, sa, 0);
	if (e < 0 && e != -NLE_OBJ_NOTFOUND)
		return error_set(err, nle_errno(e), "xfrm state spi 0x%08x: %s", x->spi,
				 nl_geterror(e));
	return 0;
}

int xfrm_sp_set(const struct xfrm_sp *x, uint32_t reqid, struct error *err)
{
	_cleanup_sock_ struct nl_sock *s = NULL;
	__attribute__((cleanup(sp_putp))) struct xfrmnl_sp *sp = xfrmnl_sp_alloc();
	__attribute__((cleanup(sel_putp))) struct xfrmnl_sel *sel = xfrmnl_sel_alloc();
	__attribute__((cleanup(ltime_putp))) struct xfrmnl_ltime_cfg *lft = no_limits();
	struct xfrmnl_user_tmpl *t = xfrmnl_user_tmpl_alloc();
	_cleanup_addr_ struct nl_addr *src = v4(x->src);
	_cleanup_addr_ struct nl_addr *dst = v4(x->dst);
	int r = open_sock(&s, err);
	if (r < 0 || !sp || !sel || !lft || !t || !src || !dst) {
		if (t)
			xfrmnl_user_tmpl_free(t);
		return r < 0 ? r : error_set(err, -ENOMEM, "out of memory");
	}
	xfrmnl_sel_set_family(sel, AF_INET);
	xfrmnl_sel_set_saddr(sel, src);
	xfrmnl_sel_set_daddr(sel, dst);
	xfrmnl_sel_set_prefixlen_s(sel, 32);
	xfrmnl_sel_set_prefixlen_d(sel, 32);
	xfrmnl_sel_set_proto(sel, IPPROTO_UDP);
	xfrmnl_sel_set_dport(sel, (unsigned)x->dport);
	xfrmnl_sel_set_dportmask(sel, 0xffff);
	xfrmnl_sp_set_sel(sp, sel);
	xfrmnl_sp_set_lifetime_cfg(sp, lft);
	xfrmnl_sp_set_dir(sp, x->out ? XFRM_POLICY_OUT : XFRM_POLICY_IN);
	xfrmnl_sp_set_index(sp, 0);
	xfrmnl_sp_set_action(sp, XFRM_POLICY_ALLOW);
	xfrmnl_user_tmpl_set_family(t, AF_INET);
	xfrmnl_user_tmpl_set_saddr(t, src);
	xfrmnl_user_tmpl_set_daddr(t, dst);
	xfrmnl_user_tmpl_set_proto(t, IPPROTO_ESP);
	xfrmnl_user_tmpl_set_spi(t, x->spi);
	xfrmnl_user_tmpl_set_mode(t, XFRM_MODE_TRANSPORT);
	xfrmnl_user_tmpl_set_reqid(t, reqid);
	xfrmnl_user_tmpl_set_aalgos(t, ~0u);
	xfrmnl_user_tmpl_set_ealgos(t, ~0u);
	xfrmnl_user_tmpl_set_calgos(t, ~0u);
	xfrmnl_sp_add_usertemplate(sp, t); /* the policy owns it now */
	int e = xfrmnl_sp_update(s, sp, NLM_F_CREATE);
	if (e < 0)
		return error_set(err, nle_errno(e), "xfrm policy: %s", nl_geterror(e));
	return 0;
}

int xfrm_sp_del(const struct xfrm_sp *x, struct error *err)
{
	_cleanup_sock_ struct nl_sock *s = NULL;
	__attribute__((cleanup(sp_putp))) struct xfrmnl_sp *sp = xfrmnl_sp_alloc();
	int r = open_sock(&s, err);
	if (r < 0)
		return r;
	if (!sp)
		return error_set(err, -ENOMEM, "out of memory");
	xfrmnl_sp_set_index(sp, x->index);
	xfrmnl_sp_set_dir(sp, x->out ? XFRM_POLICY_OUT : XFRM_POLICY_IN);
	int e = xfrmnl_sp_delete(s, sp, 0);
	if (e < 0 && e != -NLE_OBJ_NOTFOUND)
		return error_set(err, nle_errno(e), "xfrm policy %u: %s", x->index, nl_geterror(e));
	return 0;
}

static int grow(void **v, size_t n, size_t size)
{
	void *p = realloc(*v, (n + 1) * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	return 0;
}

int xfrm_list(uint32_t reqid, struct xfrm_owned *ret, struct error *err)
{
	_cleanup_sock_ struct nl_sock *s = NULL;
	__attribute__((cleanup(cache_freep))) struct nl_cache *sas = NULL;
	__attribute__((cleanup(cache_freep))) struct nl_cache *sps = NULL;
	*ret = (struct xfrm_owned){0};
	int r = open_sock(&s, err);
	if (r < 0)
		return r;
	int e = xfrmnl_sa_alloc_cache(s, &sas);
	if (e >= 0)
		e = xfrmnl_sp_alloc_cache(s, &sps);
	if (e < 0)
		return error_set(err, nle_errno(e), "xfrm dump: %s", nl_geterror(e));
	for (struct nl_object *o = nl_cache_get_first(sas); o; o = nl_cache_get_next(o)) {
		struct xfrmnl_sa *sa = (struct xfrmnl_sa *)o;
		if ((uint32_t)xfrmnl_sa_get_reqid(sa) != reqid ||
		    xfrmnl_sa_get_proto(sa) != IPPROTO_ESP)
			continue;
		if (grow((void **)&ret->sa, ret->n_sa, sizeof(*ret->sa)) < 0)
			goto oom;
		ret->sa[ret->n_sa++] = (struct xfrm_sa){.src = v4_of(xfrmnl_sa_get_saddr(sa)),
							.dst = v4_of(xfrmnl_sa_get_daddr(sa)),
							.spi = (uint32_t)xfrmnl_sa_get_spi(sa)};
	}
	for (struct nl_object *o = nl_cache_get_first(sps); o; o = nl_cache_get_next(o)) {
		struct xfrmnl_sp *sp = (struct xfrmnl_sp *)o;
		struct xfrmnl_user_tmpl *t = xfrmnl_sp_usertemplate_n(sp, 0);
		struct xfrmnl_sel *sel = xfrmnl_sp_get_sel(sp);
		int dir = xfrmnl_sp_get_dir(sp);
		if ((dir != XFRM_POLICY_OUT && dir != XFRM_POLICY_IN) || !t || !sel ||
		    (uint32_t)xfrmnl_user_tmpl_get_reqid(t) != reqid)
			continue;
		if (grow((void **)&ret->sp, ret->n_sp, sizeof(*ret->sp)) < 0)
			goto oom;
		ret->sp[ret->n_sp++] =
		    (struct xfrm_sp){.out = dir == XFRM_POLICY_OUT,
				     .src = v4_of(xfrmnl_sel_get_saddr(sel)),
				     .dst = v4_of(xfrmnl_sel_get_daddr(sel)),
				     .dport = xfrmnl_sel_get_dport(sel),
				     .spi = (uint32_t)xfrmnl_user_tmpl_get_spi(t),
				     .index = (uint32_t)xfrmnl_sp_get_index(sp)};
	}
	return 0;
oom:
	xfrm_owned_done(ret);
	return error_set(err, -ENOMEM, "out of memory");
}

void xfrm_owned_done(struct xfrm_owned *o)
{
	free(o->sa);
	free(o->sp);
	*o = (struct xfrm_owned){0};
}
