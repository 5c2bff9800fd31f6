/* udphost: the UDP peer of the VIP tests (busybox's nc has no UDP). Built
 * static with musl-gcc by the test that needs it.
 *   udphost serve PORT             answers every datagram with the hostname
 *   udphost ask ADDR PORT SRCPORT  sends one datagram from SRCPORT, prints
 *                                  the answer; exit 1 without one in 1 s */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int serve(int port)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("udphost serve");
		return 1;
	}
	char host[256] = "", buf[512];
	gethostname(host, sizeof(host) - 1);
	for (;;) {
		struct sockaddr_in from;
		socklen_t len = sizeof(from);
		if (recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len) >= 0)
			sendto(s, host, strlen(host), 0, (struct sockaddr *)&from, len);
	}
}

static int ask(const char *addr, int port, int src_port)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	int one = 1;
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons((uint16_t)src_port)};
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (s < 0 || inet_pton(AF_INET, addr, &to.sin_addr) != 1 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(s, (struct sockaddr *)&me, sizeof(me)) < 0 ||
	    sendto(s, "?", 1, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("udphost ask");
		return 1;
	}
	struct pollfd p = {.fd = s, .events = POLLIN};
	char buf[512];
	ssize_t n;
	if (poll(&p, 1, 1000) != 1 || (n = recv(s, buf, sizeof(buf) - 1, 0)) <= 0)
		return 1;
	buf[n] = '\0';
	puts(buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "ask"))
		return ask(argv[2], atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: udphost serve PORT | udphost ask ADDR PORT SRCPORT\n");
	return 2;
}
