// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "decimal.h"
#include "objects.h"
#include "paths.h"
#include "print.h"

int parse_global_opts(int argc, char **argv, struct global_opts *ret, int *ret_next, char *err,
		      size_t err_len)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "socket", required_argument, NULL, 's' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "timeout", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct global_opts o = {
		.socket_path = VIGIL_DEFAULT_SOCKET,
		.pin_dir = VIGIL_DEFAULT_PIN_DIR,
		.timeout_sec = VIGIL_CLI_DEFAULT_TIMEOUT,
	};
	unsigned long timeout;
	int c;

	err[0] = '\0';
	optind = 0;
	opterr = 0;
	/* '+': options end at OBJECT; the rest belongs to the command */
	while ((c = getopt_long(argc, argv, "+:jpdhVs:", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.json = true;
			break;
		case 'p':
			o.json = true;
			o.pretty = true;
			break;
		case 'd':
			o.debug = true;
			break;
		case 'h':
			o.help = true;
			break;
		case 'V':
			o.version = true;
			break;
		case 's':
			o.socket_path = optarg;
			break;
		case 'P':
			o.pin_dir = optarg;
			break;
		case 'T':
			if (vigil_parse_decimal(optarg, 1, VIGIL_CLI_MAX_TIMEOUT, &timeout) == 0) {
				o.timeout_sec = (unsigned int)timeout;
				break;
			}
			if (!err[0])
				snprintf(err, err_len,
					 "--timeout \"%s\": must be a number of seconds, 1 to %d",
					 optarg, VIGIL_CLI_MAX_TIMEOUT);
			break;
		default:
			/* keep parsing so that a later -j still selects JSON errors */
			if (err[0])
				break;
			if (c == ':')
				snprintf(err, err_len, "option \"%s\" needs a value",
					 argv[optind - 1]);
			else if (optopt)
				snprintf(err, err_len, "unknown option \"-%c\"", optopt);
			else
				snprintf(err, err_len, "unknown option \"%s\"", argv[optind - 1]);
			break;
		}
	}
	*ret = o;
	*ret_next = optind;
	return err[0] ? CLI_USAGE : CLI_OK;
}
