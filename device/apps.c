/*
 * device/apps.c - running apps: crashes, telemetry and wearing parts.
 *
 * Owns: the crash process of a running device (the OS and every app, one
 * Poisson process at the sum of their rates, split at each event by
 * rate), the telemetry process of the high-level app, and which devices
 * have a degrading part and since when.
 * Invariants: the crash and telemetry timers run only while the device is
 * running; draws come from the device's FS_RNG_FAULTS stream in event
 * order; the number of degrading devices per (cohort, part) is exactly
 * the configured share of the cohort.
 * Does not: restart anything on its own besides the crashed app (the OS
 * does that instantly) and the OS (a reboot through device/boot.c); a
 * crash during an update's probation is handed to device/install.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetsim/crypto.h"
#include "fleetsim/mem.h"
#include "fleetsim/msg.h"
#include "fleetsim/rng.h"
#include "fleetsim/sim.h"
#include "fleetsim/units.h"

#include "device_int.h"

static double
crash_rate_total(const struct fs_fleet *f, const struct fs_dev *d)
{
    double rate = 0;
    uint32_t os = fs__fleet_running_os(f, d);
    if (os != FS_NO_IMAGE)
        rate += fs__fleet_image(f, os)->crash_per_us;
    for (unsigned c = 0; c < FS_APPS_MAX; c++) {
        uint32_t app = fs__fleet_running_app(f, d, c);
        if (app != FS_NO_IMAGE)
            rate += fs__fleet_image(f, app)->crash_per_us;
    }
    return rate;
}

static void dev_fault(struct fs_sim *sim, void *arg);
static void dev_telemetry(struct fs_sim *sim, void *arg);

static void
arm_fault(struct fs_fleet *f, uint32_t id)
{
    struct fs_dev *d = &f->devs[id];
    double rate = crash_rate_total(f, d);
    if (rate <= 0) {
        fs__fleet_cancel(f, &d->t_fault);
        return;
    }
    struct fs_rng r;
    fs__fleet_rng(f, id, DS_FAULTS, &r);
    int64_t at_us = fs_rng_exp_us(&r, 1.0 / rate);
    fs__fleet_rng_save(f, id, DS_FAULTS, &r);
    fs__fleet_timer(f, &d->t_fault, at_us, dev_fault, id);
}

static double
telemetry_rate(const struct fs_fleet *f, const struct fs_dev *d)
{
    uint32_t app = fs__fleet_running_app(f, d, FS_CORE_HL);
    return app == FS_NO_IMAGE ? 0 : fs__fleet_image(f, app)->telemetry_per_us;
}

static void
arm_telemetry(struct fs_fleet *f, uint32_t id)
{
    struct fs_dev *d = &f->devs[id];
    double rate = telemetry_rate(f, d);
    if (rate <= 0) {
        fs__fleet_cancel(f, &d->t_telem);
        return;
    }
    struct fs_rng r;
    fs__fleet_rng(f, id, DS_FAULTS, &r);
    int64_t at_us = fs_rng_exp_us(&r, 1.0 / rate);
    fs__fleet_rng_save(f, id, DS_FAULTS, &r);
    fs__fleet_timer(f, &d->t_telem, at_us, dev_telemetry, id);
}

/* Start the crash and telemetry processes of a device that booted. */
void
fs__apps_start(struct fs_fleet *f, uint32_t id)
{
    arm_fault(f, id);
    arm_telemetry(f, id);
}

/* Stop them (reboot, recovery). */
void
fs__apps_stop(struct fs_fleet *f, uint32_t id)
{
    fs__fleet_cancel(f, &f->devs[id].t_fault);
    fs__fleet_cancel(f, &f->devs[id].t_telem);
}

/* A crash of the OS or one app, chosen in proportion to the rates. */
static void
dev_fault(struct fs_sim *sim, void *arg)
{
    struct fs_fleet *f = fs__fleet_of(sim);
    uint32_t id = fs__fleet_id_of(arg);
    struct fs_dev *d = &f->devs[id];
    d->t_fault = 0;
    struct fs_rng r;
    fs__fleet_rng(f, id, DS_FAULTS, &r);
    double pick = fs_rng_unit(&r) * crash_rate_total(f, d);
    fs__fleet_rng_save(f, id, DS_FAULTS, &r);
    for (unsigned c = 0; c < FS_APPS_MAX; c++) {
        uint32_t app = fs__fleet_running_app(f, d, c);
        if (app == FS_NO_IMAGE)
            continue;
        pick -= fs__fleet_image(f, app)->crash_per_us;
        if (pick < 0) {
            fs__fleet_record(f, FS_REC_DEV_APP_CRASH, id, app);
            fs_repq_add(f, id, FS_REP_APP_CRASH, app);
            if (fs__install_crash(f, id, false))
                return;       /* rolled back an update: rebooted */
            arm_fault(f, id); /* the OS restarted the app */
            return;
        }
    }
    uint32_t os = fs__fleet_running_os(f, d);
    fs__fleet_record(f, FS_REC_DEV_OS_CRASH, id, os);
    fs_repq_add(f, id, FS_REP_OS_CRASH, os);
    fs__install_crash(f, id, true);
    fs__boot_reboot(f, id);
}

/* First peripheral the app claims, as class and name; false if none. */
static bool
first_peripheral(const struct fs_app_caps *caps, enum fs_periph *cls,
                 char *name, size_t len)
{
    const struct fs_name_list *l[4] = {&caps->uart, &caps->i2c, &caps->spi,
                                       &caps->adc};
    static const enum fs_periph cl[4] = {FS_PERIPH_UART, FS_PERIPH_I2C,
                                         FS_PERIPH_SPI, FS_PERIPH_ADC};
    if (caps->ngpio > 0) {
        *cls = FS_PERIPH_GPIO;
        snprintf(name, len, "%u", caps->gpio[0]);
        return true;
    }
    for (unsigned i = 0; i < 4; i++) {
        if (l[i]->count > 0) {
            *cls = cl[i];
            snprintf(name, len, "%s", l[i]->items[0]);
            return true;
        }
    }
    return false;
}

/* Sensor value of a reading in milli-units (drying temperature). */
static int32_t
reading_milli(struct fs_fleet *f, uint32_t id)
{
    struct fs_dev *d = &f->devs[id];
    struct fs_rng r;
    fs__fleet_rng(f, id, DS_FAULTS, &r);
    double u1 = 1.0 - fs_rng_unit(&r); /* (0, 1] */
    double u2 = fs_rng_unit(&r);
    fs__fleet_rng_save(f, id, DS_FAULTS, &r);
    double z = sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
    double v = DEV_TEMP_NOMINAL_MILLI + DEV_TEMP_NOISE_SD_MILLI * z;
    int64_t now = fs__fleet_now(f);
    if (d->wear_part != FS_PART_NONE && now > d->wear_onset_us) {
        double days = (double)(now - d->wear_onset_us) / (86400.0 * 1e6);
        v -= DEV_TEMP_DRIFT_MILLI_PER_DAY * days;
    }
    return (int32_t)lround(v);
}

/* The certificate device id's telemetry carries: the one it holds. */
static void
telemetry_cert(const struct fs_fleet *f, uint32_t id, struct fs_cert *c)
{
    const struct fs_dev *d = &f->devs[id];
    memset(c, 0, sizeof(*c));
    c->device = id;
    fs_keystore_peek_public_key(f->ks, id, c->pk);
    c->not_after_us = d->cert_not_after_us;
    c->serial = d->cert_serial;
    memcpy(c->sig, d->cert_sig, FS_SIG_BYTES);
}

static void
send_telemetry(struct fs_fleet *f, uint32_t id, uint32_t app)
{
    struct fs_dev *d = &f->devs[id];
    const struct fs_app_caps *caps = &fs__fleet_image(f, app)->caps;
    enum fs_periph cls;
    char name[FS_NAME_BYTES_MAX + 1];
    if (first_peripheral(caps, &cls, name, sizeof(name)) &&
        !fs_fw_peripheral(f, id, FS_CORE_HL, cls, name))
        return;
    if (caps->allowed_hosts.count == 0 ||
        !fs_fw_connect(f, id, FS_CORE_HL, caps->allowed_hosts.items[0]))
        return;
    int32_t value = reading_milli(f, id);
    struct fs_msg *m = fs_msgpool_get(f->env.pool);
    m->kind = FS_MSG_TELEMETRY;
    m->device = id;
    telemetry_cert(f, id, &m->u.telemetry.cert);
    m->u.telemetry.app_image = app;
    m->u.telemetry.value_milli = value;
    m->u.telemetry.part = d->wear_part != FS_PART_NONE          ? d->wear_part
                          : f->cohorts[d->cohort].cc->nwear > 0 ? 0
                                                                : FS_PART_NONE;
    fs__fleet_record(f, FS_REC_DEV_TELEMETRY, id, value);
    f->env.send(f->env.ctx, m, fs_fleet_latency_us(f, id));
}

/*
 * The device's certificate has just changed: when its app sends telemetry,
 * have the cloud's check of the certificate it will carry started ahead.
 * Changes nothing in the model.
 */
void
fs__apps_cert_ahead(struct fs_fleet *f, uint32_t id)
{
    const struct fs_dev *d = &f->devs[id];
    double rate = telemetry_rate(f, d);
    if (f->env.cert_ahead == NULL || !fs_crypto_ahead(f->env.sim) || rate <= 0)
        return;
    struct fs_cert c;
    telemetry_cert(f, id, &c);
    double mean_us = 1.0 / rate;
    int64_t ahead_us = mean_us < 3.6e9 ? (int64_t)mean_us : 3600000000LL;
    f->env.cert_ahead(f->env.ctx, id, &c, fs_sim_now_us(f->env.sim) + ahead_us);
}

/* A telemetry reading is due: read the sensor and send it if we can. */
static void
dev_telemetry(struct fs_sim *sim, void *arg)
{
    struct fs_fleet *f = fs__fleet_of(sim);
    uint32_t id = fs__fleet_id_of(arg);
    struct fs_dev *d = &f->devs[id];
    d->t_telem = 0;
    uint32_t app = fs__fleet_running_app(f, d, FS_CORE_HL);
    if (d->state == FS_DEV_RUNNING && d->online && d->has_cert &&
        app != FS_NO_IMAGE)
        send_telemetry(f, id, app);
    arm_telemetry(f, id);
}

/* (draw, device) pair used to choose degrading devices. */
struct wear_pick {
    uint64_t draw; /* from the device's FS_RNG_FAULTS stream */
    uint32_t id;   /* device */
};

static int
cmp_pick(const void *a, const void *b)
{
    const struct wear_pick *x = a, *y = b;
    if (x->draw != y->draw)
        return x->draw < y->draw ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void
wear_cohort(struct fs_fleet *f, uint32_t c, struct wear_pick *picks)
{
    const struct fs_cohort_config *cc = f->cohorts[c].cc;
    int64_t half_us = f->cfg->duration_us / 2;
    for (uint32_t w = 0; w < cc->nwear && w < FS_PART_NONE; w++) {
        uint32_t n = 0;
        for (uint32_t i = 0; i < cc->count; i++) {
            uint32_t id = cc->first_device + i;
            if (f->devs[id].wear_part != FS_PART_NONE)
                continue;
            struct fs_rng r;
            fs__fleet_rng(f, id, DS_FAULTS, &r);
            picks[n++] = (struct wear_pick){fs_rng_next(&r), id};
            fs__fleet_rng_save(f, id, DS_FAULTS, &r);
        }
        qsort(picks, n, sizeof(*picks), cmp_pick);
        uint64_t want = fs_share_of(&cc->wear_shares[w], cc->count);
        for (uint32_t k = 0; k < n && k < want; k++) {
            struct fs_dev *d = &f->devs[picks[k].id];
            struct fs_rng r;
            fs__fleet_rng(f, picks[k].id, DS_FAULTS, &r);
            d->wear_part = (uint8_t)w;
            d->wear_onset_us =
                half_us > 0 ? (int64_t)fs_rng_below(&r, (uint64_t)half_us) : 0;
            fs__fleet_rng_save(f, picks[k].id, DS_FAULTS, &r);
        }
    }
}

/*
 * Choose the degrading devices of every cohort: for each wear part in file
 * order, the share's count of devices with the smallest draw from their
 * own stream (ties by id) among those not already degrading.
 */
void
fs__apps_wear_assign(struct fs_fleet *f)
{
    const struct fs_fleet_config *cfg = f->cfg;
    uint64_t most = 0;
    for (uint32_t c = 0; c < cfg->ncohorts; c++)
        if (cfg->cohorts[c].nwear > 0 && cfg->cohorts[c].count > most)
            most = cfg->cohorts[c].count;
    if (most == 0)
        return;
    struct wear_pick *picks = fs_xcalloc(most, sizeof(*picks));
    for (uint32_t c = 0; c < cfg->ncohorts; c++)
        wear_cohort(f, c, picks);
    fs_free(picks);
}

/* Wear part index of device, or FS_PART_NONE. */
unsigned
fs_apps_wear_part(const struct fs_fleet *f, uint32_t device)
{
    FS_ASSERT(device < f->ndevs);
    return f->devs[device].wear_part;
}

/* When device's part starts to degrade, or -1. */
int64_t
fs_apps_wear_onset_us(const struct fs_fleet *f, uint32_t device)
{
    FS_ASSERT(device < f->ndevs);
    return f->devs[device].wear_onset_us;
}
