// SPDX-License-Identifier: GPL-2.0-or-later
#include "prom.h"

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"

/* curl ARGS... URL: the status, content type and body; status 0 when curl failed to connect. */
void curl(struct reply *r, const char *url, const char *a, const char *b, const char *c,
	  const char *d, const char *e, const char *f)
{
	char *argv[16] = { "curl", "-sS", "-w", "\n%{http_code} %{content_type}" };
	const char *extra[] = { a, b, c, d, e, f };
	struct cmd_result res;
	char *last;
	int n = 4;

	for (size_t i = 0; i < 6 && extra[i]; i++)
		argv[n++] = (char *)extra[i];
	argv[n++] = (char *)url;
	argv[n] = NULL;
	ck_assert_int_eq(run_cmd(argv, &res), 0);
	last = strrchr(res.out, '\n');
	ck_assert_msg(last, "curl %s: no status line: %s", url, res.err);
	*last = '\0';
	r->content_type[0] = '\0';
	ck_assert_int_ge(sscanf(last + 1, "%d %127s", &r->status, r->content_type), 1);
	r->body = strdup(res.out);
	cmd_result_free(&res);
}

unsigned int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unsigned int port;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

void prom_write_config(const char *dir, unsigned int target_port, const char *rules)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/prometheus.yml", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n");
	if (rules)
		fprintf(f, "rule_files:\n  - %s\n", rules);
	fprintf(f,
		"scrape_configs:\n  - job_name: vigil\n    static_configs:\n"
		"      - targets: [\"127.0.0.1:%u\"]\n",
		target_port);
	fclose(f);
}

pid_t start_prometheus(const char *dir, unsigned int web_port)
{
	char config[PATH_MAX + 32], tsdb[PATH_MAX + 32], web[64], log[PATH_MAX + 32];
	pid_t pid;

	snprintf(config, sizeof(config), "--config.file=%s/prometheus.yml", dir);
	snprintf(tsdb, sizeof(tsdb), "--storage.tsdb.path=%s/data", dir);
	snprintf(web, sizeof(web), "--web.listen-address=127.0.0.1:%u", web_port);
	snprintf(log, sizeof(log), "%s/prometheus.log", dir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		/* a test that fails ends here and takes Prometheus with it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execlp("prometheus", "prometheus", config, tsdb, web, "--log.level=warn",
		       (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* GET on Prometheus' API; the parsed document, or NULL while it is not up. */
struct json_object *prom_api(unsigned int port, const char *path, const char *query)
{
	char url[256];
	struct reply r;
	struct json_object *doc;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	if (query)
		curl(&r, url, "-G", "--data-urlencode", query, NULL, NULL, NULL);
	else
		curl(&r, url, NULL, NULL, NULL, NULL, NULL, NULL);
	doc = r.status == 200 ? parse_json(r.body) : NULL;
	free(r.body);
	return doc;
}

/* The first result's value of an instant query, or -1 while there is none. */
double prom_query(unsigned int port, const char *query)
{
	char q[256];
	struct json_object *doc, *data, *result, *value;
	double v = -1;

	snprintf(q, sizeof(q), "query=%s", query);
	doc = prom_api(port, "/api/v1/query", q);
	if (doc && json_object_object_get_ex(doc, "data", &data) &&
	    json_object_object_get_ex(data, "result", &result) &&
	    json_object_array_length(result) > 0 &&
	    json_object_object_get_ex(json_object_array_get_idx(result, 0), "value", &value))
		v = strtod(json_object_get_string(json_object_array_get_idx(value, 1)), NULL);
	json_object_put(doc);
	return v;
}
