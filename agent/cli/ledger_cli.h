/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VIGIL_CLI_LEDGER_H
#define VIGIL_CLI_LEDGER_H

#include <json-c/json.h>
#include <stdint.h>

#include "ledger.h"
#include "paths.h"

/* `vigil ledger` is split in two: reading (ledger.c) and checking (ledger_check.c). */
#define LEDGER_PATH	  "vigil ledger"
#define LEDGER_HELP	  LEDGER_PATH " help"
#define LEDGER_DEFAULT_DB VIGIL_DEFAULT_STATE_DIR "/" VIGIL_LEDGER_DB_NAME

int do_ledger_verify(int argc, char **argv);
int do_ledger_proof(int argc, char **argv);

/* --pubkey: 64 hex digits, or a file holding them; reports the error, returns CLI_* */
int ledger_parse_pubkey(const char *arg, uint8_t key[VIGIL_LEDGER_KEY_BYTES]);
/* Opens the ledger at `db` read-only; reports the error. */
int ledger_open_ro(const char *db, struct vigil_ledger **ret);
/* Writes a parsed JSON value to the JSON document. */
void ledger_emit_json(struct json_object *o);

#endif
