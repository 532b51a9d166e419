/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CLI_MAP_DUMP_H
#define VIGIL_CLI_MAP_DUMP_H

/* `vigil map dump NAME [--all]`: the entries of a pinned map, decoded. */
int do_map_dump(int argc, char **argv);

#define MAP_PATH "vigil map"
#define MAP_HELP MAP_PATH " help"

#endif
