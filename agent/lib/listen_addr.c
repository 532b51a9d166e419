// SPDX-License-Identifier: GPL-2.0-or-later
#include "listen_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_port(const char *text, const char *port, in_port_t *ret, char *err, size_t err_len)
{
	unsigned long v = 0;

	if (!*port) {
		snprintf(err, err_len, "listen address \"%s\": no port after the colon", text);
		return -EINVAL;
	}
	for (const char *p = port; *p; p++) {
		if (*p < '0' || *p > '9' || (v = v * 10 + (unsigned long)(*p - '0')) > 65535) {
			snprintf(err, err_len,
				 "listen address \"%s\": port \"%s\" is not 0 to 65535", text,
				 port);
			return -EINVAL;
		}
	}
	*ret = htons((in_port_t)v);
	return 0;
}

int vigil_listen_addr_parse(const char *text, struct sockaddr_storage *ret, socklen_t *ret_len,
			    char *err, size_t err_len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *start = text;
	size_t hlen;
	bool v6 = text[0] == '[';
	in_port_t port;
	int e;

	if (v6) {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':') {
			snprintf(err, err_len,
				 "listen address \"%s\": an IPv6 address is written [ADDRESS]:PORT",
				 text);
			return -EINVAL;
		}
		start = text + 1;
		hlen = (size_t)(close - start);
		colon = close + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon || strchr(text, ':') != colon) {
			snprintf(
				err, err_len,
				"listen address \"%s\": expected HOST:PORT (IPv4) or [ADDRESS]:PORT "
				"(IPv6)",
				text);
			return -EINVAL;
		}
		hlen = (size_t)(colon - text);
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		snprintf(err, err_len, "listen address \"%s\": %s address", text,
			 hlen ? "an over-long" : "no");
		return -EINVAL;
	}
	memcpy(host, start, hlen);
	host[hlen] = '\0';
	e = parse_port(text, colon + 1, &port, err, err_len);
	if (e)
		return e;
	memset(ret, 0, sizeof(*ret));
	if (v6) {
		struct sockaddr_in6 *sa = (struct sockaddr_in6 *)ret;

		sa->sin6_family = AF_INET6;
		sa->sin6_port = port;
		e = inet_pton(AF_INET6, host, &sa->sin6_addr);
		*ret_len = sizeof(*sa);
	} else {
		struct sockaddr_in *sa = (struct sockaddr_in *)ret;

		sa->sin_family = AF_INET;
		sa->sin_port = port;
		e = inet_pton(AF_INET, host, &sa->sin_addr);
		*ret_len = sizeof(*sa);
	}
	if (e != 1) {
		snprintf(err, err_len, "listen address \"%s\": \"%s\" is not a numeric %s address",
			 text, host, v6 ? "IPv6" : "IPv4");
		return -EINVAL;
	}
	return 0;
}

int vigil_listen_socket(const struct sockaddr_storage *addr, socklen_t len)
{
	int one = 1, err;
	int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	/* a restarted agent rebinds while the old connections linger in TIME_WAIT */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)addr, len) < 0 || listen(fd, 64) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

unsigned int vigil_listen_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}
