/*
 * service/store.c - writing the service's state into fleet.db.
 *
 * Owns: the schema of the service tables (docs/fleet-db.md): devices,
 * (service_devices), attestations, error_reports, signers, secrets, deployments
 * and waves, and sealing secrets at rest with crypto_secretbox_easy.
 * Invariants: one savepoint per write, so the tables appear whole or not
 * at all; rows go in by id or index order; simulated times are bound
 * parameters; SQL never calls CURRENT_TIMESTAMP or SQL random numbers; secret
 * keys are never written in clear; the seal key derives from the seed and the
 * seal nonce from the service's stream, so a run's database is
 * reproducible.
 * Does not: open or close the database, or read anything back.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "fleetsim/err.h"
#include "fleetsim/sim.h"

#include "service_int.h"

static const char store_schema[] =
    "DROP TABLE IF EXISTS service_devices;"
    "DROP TABLE IF EXISTS attestations;"
    "DROP TABLE IF EXISTS error_reports;"
    "DROP TABLE IF EXISTS signers;"
    "DROP TABLE IF EXISTS secrets;"
    "DROP TABLE IF EXISTS deployments;"
    "DROP TABLE IF EXISTS waves;"
    "CREATE TABLE service_devices(id INTEGER PRIMARY KEY, product TEXT NOT "
    "NULL,"
    " device_group TEXT NOT NULL, public_key TEXT NOT NULL,"
    " revoked INTEGER NOT NULL, last_attest_us INTEGER,"
    " last_attest_result TEXT, cert_serial INTEGER, cert_not_after_us INTEGER,"
    " tickets TEXT);"
    "CREATE TABLE attestations(reason TEXT PRIMARY KEY,"
    " result TEXT NOT NULL, count INTEGER NOT NULL);"
    "CREATE TABLE error_reports(image TEXT, kind TEXT NOT NULL,"
    " count INTEGER NOT NULL, first_us INTEGER NOT NULL,"
    " last_us INTEGER NOT NULL, PRIMARY KEY(image, kind));"
    "CREATE TABLE signers(idx INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " public_key TEXT NOT NULL, revoked INTEGER NOT NULL,"
    " revoked_us INTEGER);"
    "CREATE TABLE secrets(name TEXT PRIMARY KEY, public_key TEXT NOT NULL,"
    " sealed BLOB NOT NULL);"
    "CREATE TABLE deployments(idx INTEGER PRIMARY KEY, id TEXT NOT NULL,"
    " image TEXT NOT NULL, state TEXT NOT NULL, start_us INTEGER,"
    " waves_opened INTEGER NOT NULL, targets INTEGER NOT NULL,"
    " offered INTEGER NOT NULL, confirmed INTEGER NOT NULL,"
    " errors INTEGER NOT NULL, failures INTEGER NOT NULL);"
    "CREATE TABLE waves(deployment INTEGER NOT NULL, wave INTEGER NOT NULL,"
    " devices INTEGER NOT NULL, confirmed INTEGER NOT NULL,"
    " opened_us INTEGER, PRIMARY KEY(deployment, wave));";

/* Bytes of a sealed secret key: nonce || MAC || ciphertext. */
#define STORE_SEALED_BYTES                                                     \
    (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + FS_KEY_SEC_BYTES)

static int
store_exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : FS_EDB;
}

/* Step a bound insert and reset it for the next row. */
static int
store_step(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : FS_EDB;
}

static void
store_bind_opt(sqlite3_stmt *st, int col, bool present, int64_t v)
{
    if (present)
        sqlite3_bind_int64(st, col, v);
    else
        sqlite3_bind_null(st, col);
}

/* Part names of a device's tickets, comma-separated, into out. */
static void
store_tickets_text(const struct fs_svc *s, uint32_t id, uint32_t bits,
                   char *out, size_t cap)
{
    const struct fs_svc_cohort *co = fs__svc_cohort_of(s, id);
    size_t used = 0;
    out[0] = '\0';
    for (uint32_t b = 0; b < 32 && used < cap; b++) {
        if (!(bits & (1u << b)))
            continue;
        const char *name =
            (co != NULL && b < co->nparts && b < 31) ? co->parts[b] : "unknown";
        int n = snprintf(out + used, cap - used, "%s%s", used ? "," : "", name);
        used += n > 0 ? (size_t)n : 0;
    }
}

static int
store_device(const struct fs_svc *s, sqlite3_stmt *st, uint32_t id)
{
    const struct svc_dev *d = &s->devs[id];
    const struct fs_svc_config *cfg = &s->config;
    char hex[2 * FS_KEY_PUB_BYTES + 1];
    char tickets[256];
    sodium_bin2hex(hex, sizeof(hex), d->pk, FS_KEY_PUB_BYTES);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, cfg->products[d->product].name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, cfg->groups[d->group].name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 5, (d->flags & SVC_DEV_REVOKED) != 0);
    store_bind_opt(st, 6, d->last_attest_us >= 0, d->last_attest_us);
    if (d->last_result != SVC_RESULT_NONE)
        sqlite3_bind_text(
            st, 7,
            fs_msg_attest_reason_name((enum fs_attest_reason)d->last_result),
            -1, SQLITE_STATIC);
    store_bind_opt(st, 8, d->cert_serial != 0, (int64_t)d->cert_serial);
    store_bind_opt(st, 9, d->cert_serial != 0, d->cert_not_after_us);
    if (d->tickets != 0) {
        store_tickets_text(s, id, d->tickets, tickets, sizeof(tickets));
        sqlite3_bind_text(st, 10, tickets, -1, SQLITE_TRANSIENT);
    }
    return store_step(st);
}

static int
store_devices(const struct fs_svc *s, sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            db, "INSERT INTO service_devices VALUES(?,?,?,?,?,?,?,?,?,?)", -1,
            &st, NULL) != SQLITE_OK)
        return FS_EDB;
    int err = 0;
    for (uint32_t id = 0; id < s->ndevs && err == 0; id++)
        if (s->devs[id].flags & SVC_DEV_REGISTERED)
            err = store_device(s, st, id);
    sqlite3_finalize(st);
    return err;
}

static int
store_attestations(const struct fs_svc *s, sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT INTO attestations VALUES(?,?,?)", -1,
                           &st, NULL) != SQLITE_OK)
        return FS_EDB;
    int err = 0;
    for (int r = 0; r < FS_ATT_COUNT && err == 0; r++) {
        sqlite3_bind_text(st, 1, fs_msg_attest_reason_name(r), -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(st, 2, r == FS_ATT_OK ? "pass" : "fail", -1,
                          SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (int64_t)s->stats.attest[r]);
        err = store_step(st);
    }
    sqlite3_finalize(st);
    return err;
}

static int
store_error_reports(const struct fs_svc *s, sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT INTO error_reports VALUES(?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK)
        return FS_EDB;
    int err = 0;
    for (uint32_t i = 0; i <= s->nimages && err == 0; i++) {
        for (unsigned k = 0; k < FS_REP_COUNT && err == 0; k++) {
            const struct svc_errrep *e = &s->errrep[i * FS_REP_COUNT + k];
            if (e->count == 0)
                continue;
            if (i < s->nimages)
                sqlite3_bind_text(st, 1, s->config.images[i].id, -1,
                                  SQLITE_STATIC);
            sqlite3_bind_text(st, 2,
                              fs_msg_report_kind_name((enum fs_report_kind)k),
                              -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 3, (int64_t)e->count);
            sqlite3_bind_int64(st, 4, e->first_us);
            sqlite3_bind_int64(st, 5, e->last_us);
            err = store_step(st);
        }
    }
    sqlite3_finalize(st);
    return err;
}

static int
store_signers(const struct fs_svc *s, sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT INTO signers VALUES(?,?,?,?,?)", -1, &st,
                           NULL) != SQLITE_OK)
        return FS_EDB;
    int err = 0;
    char hex[2 * FS_KEY_PUB_BYTES + 1];
    for (uint32_t i = 0; i < s->nsigners && err == 0; i++) {
        sodium_bin2hex(hex, sizeof(hex),
                       fs_catalog_signer_pk(s->env.catalog, i),
                       FS_KEY_PUB_BYTES);
        sqlite3_bind_int64(st, 1, i);
        sqlite3_bind_text(st, 2, fs_catalog_signer_name(s->env.catalog, i), -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(st, 3, hex, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 4, s->signer_revoked[i] != 0);
        store_bind_opt(st, 5, s->signer_revoked[i] != 0,
                       s->signer_revoked_us[i]);
        err = store_step(st);
    }
    sqlite3_finalize(st);
    return err;
}

static int
store_waves(const struct fs_svc *s, sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT INTO waves VALUES(?,?,?,?,?)", -1, &st,
                           NULL) != SQLITE_OK)
        return FS_EDB;
    int err = 0;
    for (uint32_t i = 0; i < s->ndeploys && err == 0; i++) {
        const struct svc_deploy *d = s->deploys[i];
        for (uint32_t k = 0; k < d->nwaves && err == 0; k++) {
            uint32_t from = k > 0 ? d->bound[k - 1] : 0;
            sqlite3_bind_int64(st, 1, i);
            sqlite3_bind_int64(st, 2, k + 1);
            sqlite3_bind_int64(st, 3, d->bound[k] - from);
            sqlite3_bind_int64(st, 4, d->wave_confirmed[k]);
            store_bind_opt(st, 5, d->opened_us[k] >= 0, d->opened_us[k]);
            err = store_step(st);
        }
    }
    sqlite3_finalize(st);
    return err;
}

static int
store_deployments(const struct fs_svc *s, sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO deployments VALUES"
                           "(?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK)
        return FS_EDB;
    int err = 0;
    for (uint32_t i = 0; i < s->ndeploys && err == 0; i++) {
        const struct svc_deploy *d = s->deploys[i];
        struct fs_rollout_info info;
        fs_rollout_info(s, d->cfg.id, &info);
        sqlite3_bind_int64(st, 1, i);
        sqlite3_bind_text(st, 2, d->cfg.id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, s->config.images[d->image].id, -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(st, 4, info.state, -1, SQLITE_STATIC);
        store_bind_opt(st, 5, d->start_us >= 0, d->start_us);
        sqlite3_bind_int64(st, 6, d->wave);
        sqlite3_bind_int64(st, 7, d->ntargets);
        sqlite3_bind_int64(st, 8, d->noffered);
        sqlite3_bind_int64(st, 9, d->nconfirmed);
        sqlite3_bind_int64(st, 10, d->nerrors);
        sqlite3_bind_int64(st, 11, d->nfailures);
        err = store_step(st);
    }
    sqlite3_finalize(st);
    return err == 0 ? store_waves(s, db) : err;
}

/* The seal key: BLAKE2b-256 of the seed and a purpose label. */
static void
store_seal_key(const struct fs_svc *s, unsigned char key[32])
{
    uint64_t seed = fs_sim_seed(s->env.sim);
    unsigned char s8[8];
    for (int i = 0; i < 8; i++)
        s8[i] = (unsigned char)(seed >> (8 * i));
    static const char label[] = "fleetsim-service-seal";
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const unsigned char *)label, sizeof(label));
    crypto_generichash_update(&st, s8, sizeof(s8));
    crypto_generichash_final(&st, key, 32);
}

/* Seal sk and insert it as the secret called name. */
static int
store_secret(struct fs_svc *s, sqlite3_stmt *st, const unsigned char key[32],
             const char *name, const unsigned char *pk,
             const unsigned char sk[FS_KEY_SEC_BYTES])
{
    unsigned char sealed[STORE_SEALED_BYTES];
    fs_rng_bytes(&s->rng, sealed, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(sealed + crypto_secretbox_NONCEBYTES, sk,
                          FS_KEY_SEC_BYTES, sealed, key);
    char hex[2 * FS_KEY_PUB_BYTES + 1];
    sodium_bin2hex(hex, sizeof(hex), pk, FS_KEY_PUB_BYTES);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 3, sealed, sizeof(sealed), SQLITE_TRANSIENT);
    return store_step(st);
}

static int
store_secrets(struct fs_svc *s, sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT INTO secrets VALUES(?,?,?)", -1, &st,
                           NULL) != SQLITE_OK)
        return FS_EDB;
    unsigned char key[32];
    store_seal_key(s, key);
    int err = store_secret(s, st, key, "service-ca", s->ca_pk, s->ca_sk);
    uint32_t n = fs_catalog_signers(s->env.catalog);
    for (uint32_t i = 0; i < n && err == 0; i++) {
        char name[96];
        snprintf(name, sizeof(name), "signer:%s",
                 fs_catalog_signer_name(s->env.catalog, i));
        err = store_secret(s, st, key, name,
                           fs_catalog_signer_pk(s->env.catalog, i),
                           fs_catalog_signer_sk(s->env.catalog, i));
    }
    sodium_memzero(key, sizeof(key));
    sqlite3_finalize(st);
    return err;
}

/* Write the service tables in one savepoint; see store.h. */
int
fs_store_write(struct fs_svc *s, struct sqlite3 *db)
{
    if (store_exec(db, "SAVEPOINT fs_svc_store") != 0)
        return FS_EDB;
    int err = store_exec(db, store_schema);
    if (err == 0)
        err = store_devices(s, db);
    if (err == 0)
        err = store_attestations(s, db);
    if (err == 0)
        err = store_error_reports(s, db);
    if (err == 0)
        err = store_signers(s, db);
    if (err == 0)
        err = store_secrets(s, db);
    if (err == 0)
        err = store_deployments(s, db);
    if (err != 0)
        goto out_rollback;
    return store_exec(db, "RELEASE fs_svc_store");

out_rollback:
    store_exec(db, "ROLLBACK TO fs_svc_store");
    store_exec(db, "RELEASE fs_svc_store");
    return err;
}

/* Open a sealed secret of fs_store_write; see store.h. */
int
fs_store_unseal(const struct fs_svc *s, const void *sealed, size_t len,
                unsigned char sk[FS_KEY_SEC_BYTES])
{
    if (len != STORE_SEALED_BYTES)
        return FS_EINVAL;
    const unsigned char *b = sealed;
    unsigned char key[32];
    store_seal_key(s, key);
    int rc =
        crypto_secretbox_open_easy(sk, b + crypto_secretbox_NONCEBYTES,
                                   len - crypto_secretbox_NONCEBYTES, b, key);
    sodium_memzero(key, sizeof(key));
    return rc == 0 ? 0 : FS_EBADSIG;
}
