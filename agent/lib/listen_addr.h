/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_LISTEN_ADDR_H
#define VIGIL_LISTEN_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

#include "paths.h"

/*
 * Parses a listen address: `HOST:PORT` with a numeric IPv4 HOST, or
 * `[IPV6]:PORT`; PORT 0 lets the kernel choose. -EINVAL with `err` saying
 * what is wrong. No name resolution: what an agent listens on is explicit.
 */
int vigil_listen_addr_parse(const char *text, struct sockaddr_storage *ret, socklen_t *ret_len,
			    char *err, size_t err_len);

/* A listening TCP socket (close-on-exec) bound to `addr`; the fd or a negative errno. */
int vigil_listen_socket(const struct sockaddr_storage *addr, socklen_t len);

/* The port a listening socket is bound to; 0 when it cannot be read. */
unsigned int vigil_listen_port(int fd);

#endif
