// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The "jail" object of a workload spec: the shape and names of its fields.
 * Whether the host can give what it asks for (the paths exist under the
 * allowed directories, the devices exist) is vigild's check at create.
 */
#include "jail_spec.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "json_fields.h"

static const char *const jail_fields[] = { "enabled", "seccomp",  "seccomp_mode",
					   "devices", "ro_paths", "rw_paths",
					   NULL };

static const char *const profile_names[VIGIL_SECCOMP__COUNT] = {
	[VIGIL_SECCOMP_GENERIC] = "generic",
	[VIGIL_SECCOMP_QEMU] = "qemu",
};

const struct vigil_jail_device vigil_jail_devices[] = {
	{ VIGIL_JAIL_DEV_TUN, "tun", "/dev/net/tun", 10, 200 },
	{ VIGIL_JAIL_DEV_KVM, "kvm", "/dev/kvm", 10, 232 },
};
const size_t vigil_jail_n_devices = sizeof(vigil_jail_devices) / sizeof(vigil_jail_devices[0]);

const char *vigil_seccomp_profile_name(enum vigil_seccomp_profile p)
{
	return p < VIGIL_SECCOMP__COUNT ? profile_names[p] : "unknown";
}

const char *vigil_seccomp_mode_name(enum vigil_seccomp_mode m)
{
	return m == VIGIL_SECCOMP_LOG ? "log" : "kill";
}

bool vigil_path_normalized(const char *path)
{
	size_t n = strlen(path);

	if (path[0] != '/' || n >= PATH_MAX || (n > 1 && path[n - 1] == '/'))
		return false;
	for (const char *c = path; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return false;
	}
	for (const char *c = path; *c; c++) {
		size_t len;

		if (*c != '/')
			continue;
		len = strcspn(c + 1, "/");
		if (n > 1 && (len == 0 || (len == 1 && c[1] == '.') ||
			      (len == 2 && c[1] == '.' && c[2] == '.')))
			return false;
	}
	return true;
}

bool vigil_path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

bool vigil_paths_overlap(const char *a, const char *b)
{
	return vigil_path_within(a, b) || vigil_path_within(b, a);
}

static int parse_paths(struct json_object *jail, const char *key, char ***ret, size_t *ret_n,
		       char *err, size_t len)
{
	struct json_object *a;
	size_t n;

	if (!json_object_object_get_ex(jail, key, &a))
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return vigil_invalid(err, len, "jail.%s must be an array of absolute paths", key);
	n = json_object_array_length(a);
	if (n > VIGIL_JAIL_MAX_PATHS)
		return vigil_invalid(err, len, "jail.%s has %zu entries, at most %d", key, n,
				     VIGIL_JAIL_MAX_PATHS);
	if (!n)
		return 0;
	*ret = calloc(n, sizeof(**ret));
	if (!*ret)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(a, i);
		const char *p =
			json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;

		if (!p || !vigil_path_normalized(p) || strcmp(p, "/") == 0)
			return vigil_invalid(err, len,
					     "jail.%s[%zu] must be an absolute, normalized path "
					     "(no \".\", \"..\", \"//\", trailing \"/\" or control "
					     "character), not the root",
					     key, i);
		for (size_t j = 0; j < i; j++) {
			if (vigil_paths_overlap(p, (*ret)[j]))
				return vigil_invalid(err, len,
						     "jail.%s[%zu] \"%s\" overlaps jail.%s[%zu]",
						     key, i, p, key, j);
		}
		(*ret)[i] = strdup(p);
		if (!(*ret)[i])
			return -ENOMEM;
		(*ret_n)++;
	}
	return 0;
}

static int parse_devices(struct json_object *jail, struct vigil_jail_spec *j, char *err, size_t len)
{
	struct json_object *a;

	if (!json_object_object_get_ex(jail, "devices", &a))
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return vigil_invalid(err, len, "jail.devices must be an array, e.g. [\"tun\"]");
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *v = json_object_array_get_idx(a, i);
		const char *name =
			json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
		size_t d = 0;

		while (d < vigil_jail_n_devices && strcmp(name, vigil_jail_devices[d].name))
			d++;
		if (d == vigil_jail_n_devices)
			return vigil_invalid(err, len,
					     "jail.devices[%zu] must be \"tun\" or \"kvm\"", i);
		j->devices |= vigil_jail_devices[d].bit;
	}
	return 0;
}

static int parse_seccomp(struct json_object *jail, struct vigil_jail_spec *j, char *err, size_t len)
{
	struct json_object *v;
	const char *s;

	if (json_object_object_get_ex(jail, "seccomp", &v)) {
		int p = 0;

		s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
		while (p < VIGIL_SECCOMP__COUNT && strcmp(s, profile_names[p]))
			p++;
		if (p == VIGIL_SECCOMP__COUNT)
			return vigil_invalid(err, len,
					     "jail.seccomp must be a profile: \"generic\" or "
					     "\"qemu\"");
		j->seccomp = p;
	}
	if (!json_object_object_get_ex(jail, "seccomp_mode", &v))
		return 0;
	s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
	if (strcmp(s, "kill") == 0)
		j->seccomp_mode = VIGIL_SECCOMP_KILL;
	else if (strcmp(s, "log") == 0)
		j->seccomp_mode = VIGIL_SECCOMP_LOG;
	else
		return vigil_invalid(err, len, "jail.seccomp_mode must be \"kill\" or \"log\"");
	return 0;
}

/* An unjailed workload has no jail to configure: any other field would be ignored. */
static int parse_enabled(struct json_object *jail, struct vigil_jail_spec *j, char *err, size_t len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(jail, "enabled", &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return vigil_invalid(err, len, "jail.enabled must be true or false");
	j->enabled = json_object_get_boolean(v);
	if (j->enabled)
		return 0;
	json_object_object_foreach(jail, key, val)
	{
		(void)val;
		if (strcmp(key, "enabled"))
			return vigil_invalid(err, len,
					     "jail.%s applies to a jailed workload, and "
					     "jail.enabled is false",
					     key);
	}
	return 0;
}

int vigil_jail_spec_parse(struct json_object *obj, enum vigil_seccomp_profile default_profile,
			  struct vigil_jail_spec *ret, char *err, size_t len)
{
	struct vigil_jail_spec j = { .enabled = true, .seccomp = default_profile };
	struct json_object *jail;
	const char *unknown;
	int r;

	if (!json_object_object_get_ex(obj, "jail", &jail)) {
		*ret = j;
		return 0;
	}
	if (!json_object_is_type(jail, json_type_object))
		return vigil_invalid(err, len, "jail must be an object");
	unknown = vigil_json_unknown_field(jail, jail_fields);
	if (unknown)
		return vigil_invalid(err, len, "unknown field \"jail.%s\"", unknown);
	r = parse_enabled(jail, &j, err, len);
	if (!r)
		r = parse_seccomp(jail, &j, err, len);
	if (!r)
		r = parse_devices(jail, &j, err, len);
	if (!r)
		r = parse_paths(jail, "ro_paths", &j.ro_paths, &j.n_ro_paths, err, len);
	if (!r)
		r = parse_paths(jail, "rw_paths", &j.rw_paths, &j.n_rw_paths, err, len);
	for (size_t i = 0; !r && i < j.n_rw_paths; i++) {
		for (size_t k = 0; k < j.n_ro_paths; k++) {
			if (vigil_paths_overlap(j.rw_paths[i], j.ro_paths[k])) {
				r = vigil_invalid(err, len,
						  "jail.rw_paths[%zu] \"%s\" overlaps "
						  "jail.ro_paths[%zu]",
						  i, j.rw_paths[i], k);
				break;
			}
		}
	}
	if (r < 0) {
		vigil_jail_spec_free(&j);
		return r;
	}
	*ret = j;
	return 0;
}

static struct json_object *strings_json(char *const *s, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < n; i++)
		json_object_array_add(a, json_object_new_string(s[i]));
	return a;
}

struct json_object *vigil_jail_spec_to_json(const struct vigil_jail_spec *j)
{
	struct json_object *o = json_object_new_object(), *dev;

	if (!o)
		return NULL;
	json_object_object_add(o, "enabled", json_object_new_boolean(j->enabled));
	if (!j->enabled)
		return o;
	json_object_object_add(o, "seccomp",
			       json_object_new_string(vigil_seccomp_profile_name(j->seccomp)));
	json_object_object_add(o, "seccomp_mode",
			       json_object_new_string(vigil_seccomp_mode_name(j->seccomp_mode)));
	dev = json_object_new_array();
	for (size_t d = 0; dev && d < vigil_jail_n_devices; d++) {
		if (j->devices & vigil_jail_devices[d].bit)
			json_object_array_add(dev,
					      json_object_new_string(vigil_jail_devices[d].name));
	}
	json_object_object_add(o, "devices", dev);
	json_object_object_add(o, "ro_paths", strings_json(j->ro_paths, j->n_ro_paths));
	json_object_object_add(o, "rw_paths", strings_json(j->rw_paths, j->n_rw_paths));
	return o;
}

static void free_paths(char ***p, size_t *n)
{
	for (size_t i = 0; *p && i < *n; i++)
		free((*p)[i]);
	free(*p);
	*p = NULL;
	*n = 0;
}

void vigil_jail_spec_free(struct vigil_jail_spec *j)
{
	free_paths(&j->ro_paths, &j->n_ro_paths);
	free_paths(&j->rw_paths, &j->n_rw_paths);
}
