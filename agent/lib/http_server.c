// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The server's life: bind, TLS material, libmicrohttpd in its own threads,
 * and the access check and routing of each request (http_routes.c answers).
 */
#include "http_server.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_routes.h"

#define THREADS 4

/* PEM files are small; anything bigger is not one */
#define PEM_MAX (1 << 20)

struct vigil_http_server {
	struct MHD_Daemon *daemon;
	struct vigil_http_opts opts;
	unsigned int port;
	bool mtls;
	char *cert, *key, *ca;
	size_t key_len;
};

static int read_pem(const char *what, const char *path, char **ret, size_t *ret_len, char *err,
		    size_t err_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	ssize_t n = 0;
	int e = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		e = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > PEM_MAX) {
		e = -EINVAL;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		e = -ENOMEM;
		goto out;
	}
	n = read(fd, buf, (size_t)st.st_size);
	if (n < 0)
		e = -errno;
	else
		buf[n] = '\0';
out:
	if (fd >= 0)
		close(fd);
	if (e) {
		snprintf(err, err_len, "reading the TLS %s %s: %s", what, path,
			 e == -EINVAL ? "not a regular file of at most 1 MiB" : strerror(-e));
		free(buf);
		return e;
	}
	*ret = buf;
	if (ret_len)
		*ret_len = (size_t)n;
	return 0;
}

/* true when the peer presented an X.509 certificate that the client CA verifies */
static bool client_verified(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t session;
	unsigned int status = 0, n = 0;

	if (!ci || !ci->tls_session)
		return false;
	session = (gnutls_session_t)ci->tls_session;
	if (gnutls_certificate_type_get(session) != GNUTLS_CRT_X509 ||
	    !gnutls_certificate_get_peers(session, &n) || n == 0)
		return false;
	return gnutls_certificate_verify_peers2(session, &status) == 0 && status == 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	static const struct {
		const char *path;
		enum MHD_Result (*fn)(struct MHD_Connection *, const struct vigil_http_opts *);
	} routes[] = {
		{ "/metrics", vigil_http_metrics },
		{ "/healthz", vigil_http_healthz },
		{ "/v1/records", vigil_http_records },
	};
	struct vigil_http_server *s = cls;
	size_t i;

	if (s->mtls && !client_verified(c))
		return vigil_http_error(c, MHD_HTTP_FORBIDDEN,
					"a client certificate signed by the configured CA is "
					"required");
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(url, routes[i].path) == 0)
			break;
	}
	if (i == sizeof(routes) / sizeof(routes[0]))
		return vigil_http_error(c, MHD_HTTP_NOT_FOUND,
					"no such path: %s (paths: /metrics, /healthz, /v1/records)",
					url);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return vigil_http_not_allowed(c, method, url);
	return routes[i].fn(c, &s->opts);
}

static int load_tls(struct vigil_http_server *s, char *err, size_t err_len)
{
	const struct vigil_http_opts *o = &s->opts;
	int e;

	if (!o->tls_cert_file != !o->tls_key_file) {
		snprintf(err, err_len, "TLS needs both a certificate and its key (got only the %s)",
			 o->tls_cert_file ? "certificate" : "key");
		return -EINVAL;
	}
	if (o->tls_client_ca_file && !o->tls_cert_file) {
		snprintf(err, err_len,
			 "client certificate verification (%s) needs TLS: give a certificate and "
			 "key",
			 o->tls_client_ca_file);
		return -EINVAL;
	}
	if (!o->tls_cert_file)
		return 0;
	e = read_pem("certificate", o->tls_cert_file, &s->cert, NULL, err, err_len);
	if (!e)
		e = read_pem("key", o->tls_key_file, &s->key, &s->key_len, err, err_len);
	if (!e && o->tls_client_ca_file) {
		e = read_pem("client CA", o->tls_client_ca_file, &s->ca, NULL, err, err_len);
		s->mtls = !e;
	}
	return e;
}

static void free_server(struct vigil_http_server *s)
{
	free(s->cert);
	free(s->ca);
	if (s->key) {
		explicit_bzero(s->key, s->key_len);
		free(s->key);
	}
	free(s);
}

int vigil_http_start(const struct vigil_http_opts *opts, struct vigil_http_server **ret, char *err,
		     size_t err_len)
{
	const char *listen = opts->listen ? opts->listen : VIGIL_DEFAULT_LISTEN;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
	struct vigil_http_server *s = calloc(1, sizeof(*s));
	struct MHD_OptionItem tls[4] = { { MHD_OPTION_END, 0, NULL } };
	struct sockaddr_storage addr;
	socklen_t addr_len;
	int fd = -1, e, n = 0;

	if (!s) {
		snprintf(err, err_len, "starting the HTTP server: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	s->opts = *opts;
	e = vigil_listen_addr_parse(listen, &addr, &addr_len, err, err_len);
	if (!e)
		e = load_tls(s, err, err_len);
	if (e)
		goto fail;
	fd = vigil_listen_socket(&addr, addr_len);
	if (fd < 0) {
		e = fd;
		snprintf(err, err_len, "listening on %s: %s", listen, strerror(-e));
		goto fail;
	}
	s->port = vigil_listen_port(fd);
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (s->cert) {
		flags |= MHD_USE_TLS;
		tls[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert };
		tls[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, s->key };
		if (s->ca)
			tls[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, s->ca };
		tls[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	}
	s->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, handle, s, MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)THREADS, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)VIGIL_HTTP_IDLE_TIMEOUT, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)VIGIL_HTTP_MAX_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned int)VIGIL_HTTP_PER_IP_CONNECTIONS, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
	/* libmicrohttpd owns the socket now, and closes it even when it fails to start */
	fd = -1;
	if (!s->daemon) {
		e = -EINVAL;
		snprintf(err, err_len, "starting the HTTP server on %s: libmicrohttpd refused%s",
			 listen,
			 s->cert ? " (is the TLS certificate, key or CA valid PEM, and the key "
				   "the certificate's?)"
				 : "");
		goto fail;
	}
	*ret = s;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free_server(s);
	return e;
}

unsigned int vigil_http_port(const struct vigil_http_server *s)
{
	return s->port;
}

void vigil_http_stop(struct vigil_http_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon);
	free_server(s);
}
