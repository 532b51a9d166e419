// SPDX-License-Identifier: GPL-2.0-or-later
#include "fake_qmp.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* QEMU 7.2's own words (a capture of its QMP socket) */
#define GREETING                                                                           \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, " \
	"\"package\": \"fake\"}, \"capabilities\": [\"oob\"]}}\r\n"
#define RETURN "{\"return\": {}}\r\n"
#define POWERDOWN \
	"{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"POWERDOWN\"}\r\n"
#define NOT_FOUND  "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"not here\"}}\r\n"
#define GARBAGE	   "\xff\xfe{\"QMP\": not json\r\n"
#define LINE_OF_AS "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void say_line(const char *what)
{
	printf("fake qmp: %s\n", what);
	fflush(stdout);
}

/* false once the peer is gone */
static bool say(int fd, const char *text)
{
	size_t n = strlen(text);

	while (n) {
		ssize_t w = write(fd, text, n);

		if (w <= 0)
			return false;
		text += w;
		n -= (size_t)w;
	}
	return true;
}

static bool read_line(int fd, char *buf, size_t len)
{
	size_t used = 0;

	while (used < len - 1) {
		if (read(fd, buf + used, 1) != 1)
			return false;
		if (buf[used++] == '\n')
			break;
	}
	buf[used] = '\0';
	return true;
}

static void __attribute__((noreturn)) wait_forever(void)
{
	for (;;)
		pause();
}

/* Answers like QEMU; on system_powerdown, exits 0 when it obeys. */
static void converse(int fd, bool obey)
{
	char line[1024];

	if (!say(fd, GREETING))
		return;
	while (read_line(fd, line, sizeof(line))) {
		if (strstr(line, "\"qmp_capabilities\"")) {
			say_line("qmp_capabilities");
			say(fd, RETURN);
		} else if (strstr(line, "\"system_powerdown\"")) {
			say_line("system_powerdown");
			say(fd, POWERDOWN);
			say(fd, RETURN);
			if (obey)
				_exit(0);
		} else {
			say(fd, NOT_FOUND);
		}
	}
}

static void serve(int fd, const char *mode)
{
	if (strcmp(mode, "obey") == 0 || strcmp(mode, "ignore") == 0) {
		converse(fd, strcmp(mode, "obey") == 0);
		close(fd);
		return;
	}
	if (strcmp(mode, "garbage") == 0)
		say(fd, GARBAGE);
	else if (strcmp(mode, "flood") == 0 && say(fd, GREETING))
		while (say(fd, POWERDOWN))
			;
	else if (strcmp(mode, "longline") == 0 && say(fd, GREETING))
		while (say(fd, LINE_OF_AS))
			;
	/* holds the connection (silent, or what vigild stopped reading) until the end */
	wait_forever();
}

void fake_qmp_main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *mode = argc >= 3 ? argv[1] : "", *path = argc >= 3 ? argv[2] : "";
	int lfd, fd;

	/* a peer that stops reading must not end it: its stop is what the test watches */
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(mode, "ignore") == 0)
		signal(SIGTERM, SIG_IGN);
	if (strcmp(mode, "absent") == 0) {
		say_line("not listening");
		wait_forever();
	}
	if (strcmp(mode, "symlink") == 0) {
		if (argc < 4 || symlink(argv[3], path) < 0)
			_exit(1);
		say_line("listening (a symlink)");
		wait_forever();
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0) {
		perror("fake qmp");
		_exit(1);
	}
	say_line("listening");
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd >= 0)
			serve(fd, mode);
	}
}
