/*
 * device/firewall.c - the per-core peripheral and network firewalls.
 *
 * Owns: the decision whether code on a core may touch a peripheral or
 * connect to a host, derived from the running apps' manifests (each
 * peripheral maps to the one core whose app claims it), the counting of
 * every check in firewall{kind, result}, and the firewall_violation
 * report (for the app on the core) queued whenever a check blocks.
 * Invariants: real-time cores never reach the network while the network
 * firewall is on; a check changes nothing but the counters, the record
 * and, when it blocks, the device's report queue.
 * Does not: act on a violation otherwise (attacks are elsewhere).
 */
#include <stdio.h>
#include <string.h>

#include "fleetsim/firewall.h"
#include "fleetsim/metrics.h"
#include "fleetsim/repq.h"

#include "device_int.h"

/* Count one firewall check of kind k; blocked checks are also recorded. */
void
fs__fw_count(struct fs_fleet *f, uint32_t id, enum fs_fw_kind k, bool allowed)
{
    fs_metrics_add(f->env.metrics, f->fw_series[k][allowed ? 0 : 1], 1);
    if (!allowed)
        fs__fleet_record(f, FS_REC_DEV_FW_BLOCKED, id, k);
}

static bool
strlist_has(const struct fs_name_list *l, const char *name)
{
    for (uint32_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i], name) == 0)
            return true;
    return false;
}

/* Count one check; a blocked one is recorded and reported as the OS would. */
static bool
fw_decide(struct fs_fleet *f, uint32_t device, enum fs_fw_kind k, uint32_t app,
          bool ok)
{
    fs__fw_count(f, device, k, ok);
    if (!ok)
        fs_repq_add(f, device, FS_REP_FIREWALL_VIOLATION, app);
    return ok;
}

static bool
caps_claim(const struct fs_app_caps *caps, enum fs_periph cls, const char *name)
{
    switch (cls) {
    case FS_PERIPH_GPIO:
        for (uint32_t i = 0; i < caps->ngpio; i++) {
            char buf[16];
            snprintf(buf, sizeof(buf), "%u", caps->gpio[i]);
            if (strcmp(buf, name) == 0)
                return true;
        }
        return false;
    case FS_PERIPH_UART:
        return strlist_has(&caps->uart, name);
    case FS_PERIPH_I2C:
        return strlist_has(&caps->i2c, name);
    case FS_PERIPH_SPI:
        return strlist_has(&caps->spi, name);
    case FS_PERIPH_ADC:
        return strlist_has(&caps->adc, name);
    }
    return false;
}

/* Peripheral access check; see firewall.h. */
bool
fs_fw_peripheral(struct fs_fleet *f, uint32_t device, unsigned core,
                 enum fs_periph cls, const char *name)
{
    FS_ASSERT(device < f->ndevs);
    bool ok = false;
    uint32_t img = FS_NO_IMAGE;
    if (core < FS_APPS_MAX) {
        img = fs__fleet_running_app(f, &f->devs[device], core);
        ok = img != FS_NO_IMAGE &&
             caps_claim(&fs__fleet_image(f, img)->caps, cls, name);
    }
    if (!fs__fleet_defense_on(f, FS_DEF_PERIPHERAL_FIREWALL))
        ok = true;
    return fw_decide(f, device, FS_FW_PERIPHERAL, img, ok);
}

/* Network connect check; see firewall.h. */
bool
fs_fw_connect(struct fs_fleet *f, uint32_t device, unsigned core,
              const char *host)
{
    FS_ASSERT(device < f->ndevs);
    bool ok = false;
    uint32_t img = core < FS_APPS_MAX
                       ? fs__fleet_running_app(f, &f->devs[device], core)
                       : FS_NO_IMAGE;
    if (core == FS_CORE_HL)
        ok = img != FS_NO_IMAGE &&
             strlist_has(&fs__fleet_image(f, img)->caps.allowed_hosts, host);
    if (!fs__fleet_defense_on(f, FS_DEF_NETWORK_FIREWALL))
        ok = true;
    return fw_decide(f, device, FS_FW_NETWORK, img, ok);
}
