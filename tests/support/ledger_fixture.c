// SPDX-License-Identifier: GPL-2.0-or-later
#include "ledger_fixture.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "vigild_fixture.h"

static char boot_id_path[64];

void lf_write_boot_id(const char *id)
{
	FILE *f = fopen(boot_id_path, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "%s\n", id);
	fclose(f);
}

void lf_make_env(void)
{
	FILE *f;

	snprintf(boot_id_path, sizeof(boot_id_path), "/tmp/vigil-test-boot-id-%d", getpid());
	f = fopen(boot_id_path, "w");
	if (!f)
		abort();
	fputs("11111111-2222-3333-4444-555555555555\n", f);
	fclose(f);
	vf.extra_args[0] = "--epoch";
	vf.extra_args[1] = "1";
	vf.extra_args[2] = "--boot-id-file";
	vf.extra_args[3] = boot_id_path;
	vf_make_env();
}

/* the boot id file first: vf_remove_env aborts when vigild's tables stay */
void lf_remove_env(void)
{
	unlink(boot_id_path);
	vf_remove_env();
}

struct reply lf_http_get(const char *path)
{
	char url[128];
	struct reply r;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", vf_http_port(), path);
	curl(&r, url, NULL, NULL, NULL, NULL, NULL, NULL);
	return r;
}

uint64_t lf_ledger_sequence(void)
{
	struct reply r = lf_http_get("/healthz");
	struct json_object *o = parse_json(r.body), *l;
	uint64_t seq = 0;

	if (o && json_object_object_get_ex(o, "ledger", &l))
		seq = (uint64_t)vf_jint(l, "sequence");
	json_object_put(o);
	free(r.body);
	return seq;
}

void lf_wait_sequence_above(uint64_t seq)
{
	for (int i = 0; i < 100 && lf_ledger_sequence() <= seq; i++)
		usleep(100 * 1000);
	ck_assert_uint_gt(lf_ledger_sequence(), seq);
}

void lf_ledger_verifies(void)
{
	char db[PATH_MAX + 16];
	struct cmd_result r;

	snprintf(db, sizeof(db), "%s/ledger.db", vf.state);
	run_vigil(&r, "ledger", "verify", "--db", db, NULL);
	printf("%s", r.out);
	ck_assert_msg(r.status == 0, "ledger verify: %s%s", r.out, r.err);
	cmd_result_free(&r);
}

void lf_start_burner(const char *id, int ms)
{
	char self[PATH_MAX] = { 0 }, cmd[PATH_MAX + 64];
	struct json_object *o;
	int status;

	ck_assert_int_gt(readlink("/proc/self/exe", self, sizeof(self) - 1), 0);
	snprintf(cmd, sizeof(cmd), "[\"%s\",\"--burn\",\"%d\"]", self, ms);
	vf_create_ok(id, cmd);
	o = vf_wl_cmd(&status, "start", id);
	ck_assert_int_eq(status, 0);
	json_object_put(o);
}
