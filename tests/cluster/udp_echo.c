/* A UDP server for the routing-mesh stage (run.sh test_mesh): answers each
 * datagram with the sender's address and the host name, so the test sees
 * which task answered and which source address the task observed. Built
 * static by the test and run inside a task container. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 81;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("udp_echo");
		return 1;
	}
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	for (;;) {
		char buf[512], out[600];
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &len) < 0)
			continue;
		int n = snprintf(out, sizeof(out), "%s %s\n", inet_ntoa(peer.sin_addr), host);
		sendto(fd, out, (size_t)n, 0, (struct sockaddr *)&peer, len);
	}
}
