/* The seccomp filter of a container: our default profile (the same intent as
 * Docker's: an allowlist of the system calls ordinary programs use, a few
 * more when the container holds the capability that makes them safe), or
 * the user's profile in Docker's JSON format, or none (unconfined,
 * --privileged). Turned into the OCI spec's linux.seccomp for the runtime. */
#include <errno.h>
#include <string.h>

#include "basic/cleanup.h"
#include "engine/oci_spec.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* What every container may call. Names unknown to the runtime's libseccomp
 * (other architectures' calls) are skipped by the runtime. */
static const char *const allowed[] = {
	"accept", "accept4", "access", "adjtimex", "alarm", "arch_prctl", "bind", "brk", "capget",
	"capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
	"clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64",
	"clock_nanosleep", "clock_nanosleep_time64", "close", "close_range", "connect",
	"copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1",
	"epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait",
	"epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group",
	"faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark",
	"fchdir", "fchmod", "fchmodat", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64",
	"fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr",
	"fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
	"ftruncate64", "futex", "futex_time64", "futex_waitv", "futimesat", "getcpu", "getcwd",
	"getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid",
	"getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp",
	"getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid",
	"getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname",
	"getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32",
	"getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
	"io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents",
	"io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup", "io_submit",
	"io_uring_enter", "io_uring_register", "io_uring_setup", "ipc", "kill", "landlock_add_rule",
	"landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr",
	"link", "linkat", "listen", "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek",
	"lsetxattr", "lstat", "lstat64", "madvise", "membarrier", "memfd_create", "memfd_secret",
	"mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap",
	"mmap2", "modify_ldt", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
	"mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
	"mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
	"munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect",
	"open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
	"pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
	"pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
	"pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
	"readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
	"remap_file_pages", "removexattr", "rename", "renameat", "renameat2", "restart_syscall",
	"rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
	"rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
	"rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam",
	"sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
	"sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
	"sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp",
	"select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
	"sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32",
	"setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer",
	"setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
	"setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list",
	"setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32",
	"setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd",
	"signalfd4", "sigprocmask", "sigreturn", "socket", "socketcall", "socketpair", "splice", "stat",
	"stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync",
	"sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
	"timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
	"timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
	"timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
	"ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
	"utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
	"writev",
	/* Safe since Linux 4.8 (ptrace can no longer bypass seccomp). */
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
};

/* Calls a capability makes safe: allowed when the container holds it. */
static const struct {
	const char *cap;
	const char *const names[20];
} by_cap[] = {
	{"CAP_SYS_ADMIN",
	 {"bpf", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie",
	  "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl",
	  "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2"}},
	{"CAP_SYS_ADMIN", {"unshare", "clone", "clone3", "pivot_root"}},
	{"CAP_SYS_BOOT", {"reboot"}},
	{"CAP_SYS_CHROOT", {"chroot"}},
	{"CAP_SYS_MODULE", {"delete_module", "init_module", "finit_module"}},
	{"CAP_SYS_PACCT", {"acct"}},
	{"CAP_SYS_PTRACE", {"pidfd_getfd", "process_madvise"}},
	{"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
	{"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
	{"CAP_SYS_TTY_CONFIG", {"vhangup"}},
	{"CAP_SYS_NICE", {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
	{"CAP_SYSLOG", {"syslog"}},
	{"CAP_BPF", {"bpf"}},
	{"CAP_PERFMON", {"perf_event_open"}},
};

/* The namespace flags of clone(2): CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|
 * NEWUSER|NEWPID|NEWNET. Without CAP_SYS_ADMIN clone may not create them. */
#define CLONE_NS_MASK 2114060288

static json_t *names_json(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *rule(json_t *names, const char *action)
{
	return json_pack("{s:o, s:s}", "names", names, "action", action);
}

static json_t *default_profile(json_t *caps)
{
	json_t *sys = json_array();
	json_array_append_new(sys, rule(names_json(allowed, ARRAY_SIZE(allowed)), "SCMP_ACT_ALLOW"));
	/* personality(2): only the domains programs ask for (Linux, 32-bit
	 * address space, their 32-bit variants, and the query). */
	const json_int_t personas[] = {0, 8, 131072, 131080, 4294967295};
	for (size_t i = 0; i < ARRAY_SIZE(personas); i++)
		json_array_append_new(sys, json_pack("{s:[s], s:s, s:[{s:i, s:I, s:s}]}", "names",
						     "personality", "action", "SCMP_ACT_ALLOW", "args",
						     "index", 0, "value", personas[i], "op",
						     "SCMP_CMP_EQ"));
	bool admin = false;
	size_t i;
	json_t *v;
	json_array_foreach(caps, i, v) admin |= strcmp(json_string_value(v), "CAP_SYS_ADMIN") == 0;
	for (size_t k = 0; k < ARRAY_SIZE(by_cap); k++) {
		bool has = false;
		json_array_foreach(caps, i, v) has |= strcmp(json_string_value(v), by_cap[k].cap) == 0;
		if (has)
			json_array_append_new(sys, rule(names_json(by_cap[k].names, 20), "SCMP_ACT_ALLOW"));
	}
	if (!admin) {
		json_array_append_new(sys, json_pack("{s:[s], s:s, s:[{s:i, s:I, s:I, s:s}]}", "names",
						     "clone", "action", "SCMP_ACT_ALLOW", "args", "index",
						     0, "value", (json_int_t)CLONE_NS_MASK, "valueTwo",
						     (json_int_t)0, "op", "SCMP_CMP_MASKED_EQ"));
		/* clone3's flags are behind a pointer seccomp cannot read: say
		 * ENOSYS so libc falls back to clone. */
		json_array_append_new(sys, json_pack("{s:[s], s:s, s:i}", "names", "clone3", "action",
						     "SCMP_ACT_ERRNO", "errnoRet", ENOSYS));
	}
	return json_pack("{s:s, s:i, s:[s,s,s], s:o}", "defaultAction", "SCMP_ACT_ERRNO",
			 "defaultErrnoRet", EPERM, "architectures", "SCMP_ARCH_X86_64",
			 "SCMP_ARCH_X86", "SCMP_ARCH_X32", "syscalls", sys);
}

static bool caps_match(json_t *want, json_t *caps)
{
	size_t i, k;
	json_t *w, *c;
	json_array_foreach(want, i, w) {
		bool found = false;
		json_array_foreach(caps, k, c) found |= json_equal(w, c);
		if (!found)
			return false;
	}
	return true;
}

/* A rule of a Docker profile applies unless its includes/excludes say
 * otherwise for this container's capabilities. */
static bool rule_applies(json_t *r, json_t *caps)
{
	json_t *inc = json_object_get(json_object_get(r, "includes"), "caps");
	json_t *exc = json_object_get(json_object_get(r, "excludes"), "caps");
	if (json_array_size(inc) && !caps_match(inc, caps))
		return false;
	size_t i, k;
	json_t *x, *c;
	json_array_foreach(exc, i, x) json_array_foreach(caps, k, c) if (json_equal(x, c)) return false;
	return true;
}

/* Docker's profile format -> the OCI spec's. */
static int convert_profile(const char *text, json_t *caps, json_t **ret, struct error *err)
{
	json_error_t jerr;
	json_t *p = json_loads(text, 0, &jerr);
	if (!json_is_object(p)) {
		json_decref(p);
		return error_set(err, -EINVAL, "Decoding seccomp profile failed: %s", jerr.text);
	}
	const char *def = json_string_value(json_object_get(p, "defaultAction"));
	if (!def) {
		json_decref(p);
		return error_set(err, -EINVAL, "Decoding seccomp profile failed: no defaultAction");
	}
	json_t *out = json_pack("{s:s}", "defaultAction", def);
	json_t *arches = json_array();
	json_t *am = json_object_get(p, "archMap"), *a;
	size_t i;
	json_array_foreach(am, i, a) {
		json_array_append(arches, json_object_get(a, "architecture"));
		json_array_extend(arches, json_object_get(a, "subArchitectures"));
	}
	if (!json_array_size(arches))
		json_array_extend(arches, json_object_get(p, "architectures"));
	json_object_set_new(out, "architectures", arches);
	if (json_object_get(p, "defaultErrnoRet"))
		json_object_set(out, "defaultErrnoRet", json_object_get(p, "defaultErrnoRet"));
	json_t *sys = json_array(), *r;
	json_array_foreach(json_object_get(p, "syscalls"), i, r) {
		if (!rule_applies(r, caps))
			continue;
		json_t *names = json_object_get(r, "names");
		if (!names && json_object_get(r, "name"))
			names = json_pack("[O]", json_object_get(r, "name"));
		else
			json_incref(names);
		json_t *o = json_pack("{s:o, s:O}", "names", names ? names : json_array(), "action",
				      json_object_get(r, "action"));
		if (!o) {
			json_decref(sys);
			json_decref(out);
			json_decref(p);
			return error_set(err, -EINVAL, "Decoding seccomp profile failed: bad rule %zu", i);
		}
		if (json_object_get(r, "args"))
			json_object_set(o, "args", json_object_get(r, "args"));
		if (json_object_get(r, "errnoRet"))
			json_object_set(o, "errnoRet", json_object_get(r, "errnoRet"));
		json_array_append_new(sys, o);
	}
	json_object_set_new(out, "syscalls", sys);
	json_decref(p);
	*ret = out;
	return 0;
}

/* The seccomp=... value of --security-opt (also Docker's older "seccomp:"). */
static const char *seccomp_opt(json_t *hc)
{
	size_t i;
	json_t *v;
	const char *found = NULL;
	json_array_foreach(json_object_get(hc, "SecurityOpt"), i, v) {
		const char *s = json_string_value(v);
		if (s && (!strncmp(s, "seccomp=", 8) || !strncmp(s, "seccomp:", 8)))
			found = s + 8;
	}
	return found;
}

int oci_seccomp(json_t *hc, json_t *caps, json_t **ret, struct error *err)
{
	*ret = NULL;
	const char *opt = seccomp_opt(hc);
	if (opt && !strcmp(opt, "unconfined"))
		return 0;
	if (json_is_true(json_object_get(hc, "Privileged")) && !opt)
		return 0;
	if (opt && *opt && strcmp(opt, "builtin") != 0)
		return convert_profile(opt, caps, ret, err);
	*ret = default_profile(caps);
	return *ret ? 0 : error_set(err, -ENOMEM, "out of memory");
}
