/* Timestamp and duration parsing with the docker CLI's accepted forms. */
#include "timeutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t time_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Reads up to 9 fractional digits at *p as nanoseconds; extra digits are
 * truncated. Advances *p past all digits. */
static int64_t parse_fraction(const char **p)
{
	int64_t ns = 0;
	int digits = 0;
	while (isdigit((unsigned char)**p)) {
		if (digits < 9) {
			ns = ns * 10 + (**p - '0');
			digits++;
		}
		(*p)++;
	}
	for (; digits < 9; digits++)
		ns *= 10;
	return ns;
}

int time_parse_api_timestamp(const char *s, int64_t *ret_ns)
{
	const char *p = s;
	bool neg = false;
	if (*p == '-') {
		neg = true;
		p++;
	}
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	char *end;
	long long sec = strtoll(p, &end, 10);
	if (errno || sec > 9000000000LL)
		return -EINVAL;
	p = end;
	int64_t frac = 0;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		frac = parse_fraction(&p);
	}
	if (*p)
		return -EINVAL;
	int64_t ns = (int64_t)sec * 1000000000LL + frac;
	*ret_ns = neg ? -ns : ns;
	return 0;
}

int time_parse_duration(const char *s, int64_t *ret_ns)
{
	static const struct {
		const char *unit;
		int64_t ns;
	} units[] = {
	    {"ns", 1},		 {"us", 1000},	       {"µs", 1000},	       {"ms", 1000000},
	    {"s", 1000000000LL}, {"m", 60000000000LL}, {"h", 3600000000000LL},
	};
	const char *p = s;
	bool neg = false;
	if (*p == '-' || *p == '+') {
		neg = *p == '-';
		p++;
	}
	if (strcmp(p, "0") == 0) {
		*ret_ns = 0;
		return 0;
	}
	if (!*p)
		return -EINVAL;
	double total = 0;
	while (*p) {
		if (!isdigit((unsigned char)*p) && *p != '.')
			return -EINVAL;
		char *end;
		double v = strtod(p, &end);
		if (end == p)
			return -EINVAL;
		p = end;
		size_t best = 0;
		int64_t mult = 0;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].unit);
			/* "ms" must win over "m": take the longest unit that matches. */
			if (strncmp(p, units[i].unit, l) == 0 && l > best) {
				best = l;
				mult = units[i].ns;
			}
		}
		if (!best)
			return -EINVAL;
		p += best;
		total += v * (double)mult;
	}
	if (total > 9.2e18)
		return -ERANGE;
	*ret_ns = neg ? -(int64_t)total : (int64_t)total;
	return 0;
}

/* Parses "+hh:mm", "-hh:mm", "+hhmm" or "Z" into seconds east of UTC. */
static int parse_zone(const char *p, long *ret_off)
{
	if (strcmp(p, "Z") == 0 || strcmp(p, "z") == 0) {
		*ret_off = 0;
		return 0;
	}
	int hh, mm;
	char sign;
	if ((sscanf(p, "%c%2d:%2d", &sign, &hh, &mm) == 3 && strlen(p) == 6) ||
	    (sscanf(p, "%c%2d%2d", &sign, &hh, &mm) == 3 && strlen(p) == 5)) {
		if ((sign != '+' && sign != '-') || hh > 23 || mm > 59)
			return -EINVAL;
		*ret_off = (sign == '-' ? -1 : 1) * (hh * 3600L + mm * 60L);
		return 0;
	}
	return -EINVAL;
}

static int parse_date(const char *s, int64_t *ret_ns)
{
	static const char *const layouts[] = {
	    "%Y-%m-%dT%H:%M:%S",
	    "%Y-%m-%dT%H:%M",
	    "%Y-%m-%dT%H",
	    "%Y-%m-%d",
	};
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		struct tm tm = {0};
		const char *p = strptime(s, layouts[i], &tm);
		if (!p)
			continue;
		int64_t frac = 0;
		if (*p == '.' && i == 0) {
			p++;
			frac = parse_fraction(&p);
		}
		time_t secs;
		if (*p) {
			long off;
			if (parse_zone(p, &off) < 0)
				continue;
			secs = timegm(&tm) - off;
		} else {
			tm.tm_isdst = -1;
			secs = mktime(&tm);
		}
		*ret_ns = (int64_t)secs * 1000000000LL + frac;
		return 0;
	}
	return -EINVAL;
}

int time_parse_user_timestamp(const char *s, int64_t now_ns, int64_t *ret_ns)
{
	int64_t d;
	if (!*s)
		return -EINVAL;
	if (time_parse_duration(s, &d) == 0 && strcmp(s, "0") != 0) {
		*ret_ns = now_ns - d;
		return 0;
	}
	if (time_parse_api_timestamp(s, ret_ns) == 0)
		return 0;
	return parse_date(s, ret_ns);
}

void time_format_rfc3339nano(int64_t ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / 1000000000LL);
	long frac = (long)(ns % 1000000000LL);
	if (frac < 0) {
		frac += 1000000000L;
		sec--;
	}
	struct tm tm;
	gmtime_r(&sec, &tm);
	char date[40];
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	if (!frac) {
		snprintf(buf, len, "%sZ", date);
		return;
	}
	char digits[16];
	snprintf(digits, sizeof(digits), "%09ld", frac);
	for (int i = 8; i > 0 && digits[i] == '0'; i--)
		digits[i] = '\0';
	snprintf(buf, len, "%s.%sZ", date, digits);
}

/* v in units of 10^-digits, as "I[.F]" with F's trailing zeros trimmed. */
static void format_fixed(char *buf, size_t len, int64_t v, int digits, const char *unit)
{
	int64_t scale = 1;
	for (int i = 0; i < digits; i++)
		scale *= 10;
	char frac[32] = "";
	if (v % scale) {
		snprintf(frac, sizeof(frac), ".%0*lld", digits & 15, (long long)(v % scale));
		for (size_t n = strlen(frac); frac[n - 1] == '0'; n--)
			frac[n - 1] = '\0';
	}
	snprintf(buf, len, "%lld%s%s", (long long)(v / scale), frac, unit);
}

void time_format_duration(int64_t ns, char *buf, size_t len)
{
	const char *sign = ns < 0 ? "-" : "";
	uint64_t u = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;
	char part[48];
	if (u == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	if (u < 1000000000ULL) {
		if (u < 1000)
			snprintf(part, sizeof(part), "%lluns", (unsigned long long)u);
		else if (u < 1000000)
			format_fixed(part, sizeof(part), (int64_t)u, 3, "µs");
		else
			format_fixed(part, sizeof(part), (int64_t)u, 6, "ms");
		snprintf(buf, len, "%s%s", sign, part);
		return;
	}
	uint64_t h = u / 3600000000000ULL, m = u / 60000000000ULL % 60;
	format_fixed(part, sizeof(part), (int64_t)(u % 60000000000ULL), 9, "s");
	if (h)
		snprintf(buf, len, "%s%lluh%llum%s", sign, (unsigned long long)h,
			 (unsigned long long)m, part);
	else if (m)
		snprintf(buf, len, "%s%llum%s", sign, (unsigned long long)m, part);
	else
		snprintf(buf, len, "%s%s", sign, part);
}
