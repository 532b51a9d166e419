// SPDX-License-Identifier: GPL-2.0-or-later
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "dirs.h"
#include "json_doc.h"

static int make_addr(const char *path, struct sockaddr_un *addr)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr->sun_path))
		return -ENAMETOOLONG;
	memcpy(addr->sun_path, path, strlen(path));
	return 0;
}

int vigil_control_listen(const char *path, int *ret_fd)
{
	struct sockaddr_un addr;
	mode_t old;
	int fd, ret;

	ret = make_addr(path, &addr);
	if (!ret)
		ret = vigil_mkdir_parent(path);
	if (ret < 0)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* a socket left by a daemon that died: the caller made sure none answers on it */
	if (unlink(path) < 0 && errno != ENOENT) {
		ret = -errno;
		goto fail;
	}
	/* 0600 from the start: no window where others could connect */
	old = umask(0177);
	ret = bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ? -errno : 0;
	umask(old);
	if (!ret && listen(fd, 64) < 0)
		ret = -errno;
	if (ret < 0)
		goto fail;
	*ret_fd = fd;
	return 0;
fail:
	close(fd);
	return ret;
}

static void set_timeouts(int fd, unsigned int sec)
{
	struct timeval tv = { .tv_sec = sec };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Client side: reads until EOF into a NUL-terminated buffer; its length in `ret_len`. */
static int read_msg(int fd, char **ret, size_t *ret_len)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nbuf;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len + 1 == cap) {
			if (cap >= VIGIL_CONTROL_MAX_MSG) {
				free(buf);
				return -EMSGSIZE;
			}
			nbuf = realloc(buf, cap * 2);
			if (!nbuf) {
				free(buf);
				return -ENOMEM;
			}
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno == EAGAIN ? -ETIMEDOUT : -errno;

			free(buf);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* Sends `text`, `pass_fd` (unless -1) riding on its first bytes. */
static int write_msg(int fd, const char *text, int pass_fd)
{
	size_t len = strlen(text);
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;

	while (len) {
		struct iovec iov = { .iov_base = (void *)text, .iov_len = len };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		if (pass_fd >= 0) {
			struct cmsghdr *cm;

			memset(&ctl, 0, sizeof(ctl));
			msg.msg_control = ctl.buf;
			msg.msg_controllen = sizeof(ctl.buf);
			cm = CMSG_FIRSTHDR(&msg);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
		}
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		text += n;
		len -= (size_t)n;
		pass_fd = -1;
	}
	return 0;
}

static int parse_object(const char *text, size_t len, struct json_object **ret, char *err,
			size_t err_len)
{
	struct json_object *obj;

	if (vigil_json_parse_len(text, len, &obj, err, err_len) < 0)
		return -EBADMSG;
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		snprintf(err, err_len, "request: must be a JSON object");
		return -EBADMSG;
	}
	*ret = obj;
	return 0;
}

int vigil_control_accept(int listen_fd, struct vigil_control_conn **ret)
{
	struct vigil_control_conn *c;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (cred.uid != 0) {
		close(fd);
		return -EPERM;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->fd = fd;
	c->passed_fd = -1;
	*ret = c;
	return 0;
}

/*
 * Keeps the first descriptor a request carries; any more (in the same
 * message or a later one) are closed and the request is marked to be
 * refused.
 */
static void keep_fds(struct vigil_control_conn *c, struct msghdr *msg)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		size_t n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (c->passed_fd < 0 && !c->too_many_fds) {
				c->passed_fd = fd;
				continue;
			}
			close(fd);
			c->too_many_fds = true;
		}
	}
	/* descriptors the kernel could not fit in are closed by it: there were more */
	if (msg->msg_flags & MSG_CTRUNC)
		c->too_many_fds = true;
	if (c->too_many_fds && c->passed_fd >= 0) {
		close(c->passed_fd);
		c->passed_fd = -1;
	}
}

int vigil_control_take_fd(struct vigil_control_conn *c)
{
	int fd = c->passed_fd;

	c->passed_fd = -1;
	return fd;
}

int vigil_control_read(struct vigil_control_conn *c)
{
	char *grown;
	ssize_t n;

	for (;;) {
		if (c->in_len + 1 >= c->in_cap) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 4096;

			if (c->in_cap >= VIGIL_CONTROL_MAX_MSG)
				return -EMSGSIZE;
			grown = realloc(c->in, cap);
			if (!grown)
				return -ENOMEM;
			c->in = grown;
			c->in_cap = cap;
		}
		/* room for two: a second one is how a request with too many is told apart */
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(2 * sizeof(int))];
		} ctl;
		struct iovec iov = { .iov_base = c->in + c->in_len,
				     .iov_len = c->in_cap - c->in_len - 1 };
		struct msghdr msg = { .msg_iov = &iov,
				      .msg_iovlen = 1,
				      .msg_control = ctl.buf,
				      .msg_controllen = sizeof(ctl.buf) };

		n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		keep_fds(c, &msg);
		if (n == 0)
			return 1;
		c->in_len += (size_t)n;
	}
}

int vigil_control_request(struct vigil_control_conn *c, struct json_object **ret, char *err,
			  size_t err_len)
{
	return parse_object(c->in ? c->in : "", c->in_len, ret, err, err_len);
}

int vigil_control_flush(struct vigil_control_conn *c)
{
	while (c->out_done < c->out_len) {
		ssize_t n =
			send(c->fd, c->out + c->out_done, c->out_len - c->out_done, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		c->out_done += (size_t)n;
	}
	return 1;
}

int vigil_control_reply(struct vigil_control_conn *c, struct json_object *resp)
{
	const char *text = json_object_to_json_string_ext(
		resp, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	free(c->out);
	c->out = strdup(text ? text : "");
	if (!c->out)
		return -ENOMEM;
	c->out_len = strlen(c->out);
	c->out_done = 0;
	return vigil_control_flush(c);
}

void vigil_control_close(struct vigil_control_conn *c)
{
	if (!c)
		return;
	close(c->fd);
	if (c->passed_fd >= 0)
		close(c->passed_fd);
	free(c->in);
	free(c->out);
	free(c);
}

int vigil_control_call(const char *path, struct json_object *req, unsigned int timeout_sec,
		       struct json_object **ret_resp)
{
	return vigil_control_call_fd(path, req, -1, timeout_sec, ret_resp);
}

int vigil_control_call_fd(const char *path, struct json_object *req, int pass_fd,
			  unsigned int timeout_sec, struct json_object **ret_resp)
{
	struct sockaddr_un addr;
	char err[256], *text = NULL;
	size_t len = 0;
	int fd, r;

	r = make_addr(path, &addr);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a unix socket's connect waits for room in the backlog up to the send timeout */
	set_timeouts(fd, timeout_sec);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		r = errno == EAGAIN ? -ETIMEDOUT : -errno;
		goto out;
	}
	r = write_msg(fd, json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN), pass_fd);
	if (!r && shutdown(fd, SHUT_WR) < 0)
		r = -errno;
	if (!r)
		r = read_msg(fd, &text, &len);
	if (!r)
		r = parse_object(text, len, ret_resp, err, sizeof(err));
	free(text);
out:
	close(fd);
	return r;
}
