/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HTTP from tests (curl), and a real Prometheus server started for a test. */
#ifndef VIGIL_TEST_PROM_H
#define VIGIL_TEST_PROM_H

#include <json-c/json.h>
#include <sys/types.h>

struct reply {
	int status;
	char content_type[128];
	char *body;
};

/*
 * curl [up to 6 ARGS, NULL-terminated] URL: the status, content type and
 * body (free r->body); status 0 when curl could not connect.
 */
void curl(struct reply *r, const char *url, const char *a, const char *b, const char *c,
	  const char *d, const char *e, const char *f);
/* A TCP port on 127.0.0.1 that was free a moment ago. */
unsigned int free_port(void);
/*
 * Starts `prometheus` with DIR/prometheus.yml, its data in DIR/data, its log
 * in DIR/prometheus.log, its API on 127.0.0.1:web_port. It dies with the
 * process that started it.
 */
pid_t start_prometheus(const char *dir, unsigned int web_port);
/*
 * Writes DIR/prometheus.yml: scrape 127.0.0.1:target_port every second,
 * and evaluate the rules in `rules` (an absolute path, or NULL).
 */
void prom_write_config(const char *dir, unsigned int target_port, const char *rules);
/* GET on Prometheus' API; the parsed document, or NULL while it is not up. */
struct json_object *prom_api(unsigned int port, const char *path, const char *query);
/* The first result's value of an instant query, or -1 while there is none. */
double prom_query(unsigned int port, const char *query);

#endif
