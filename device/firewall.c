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

#include "fleetsim/device.h"
#include "fleetsim/scn.h"

#include "device_int.h"

static bool
strlist_has(const struct fs_scn_strlist *l, const char *name)
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
    fs__dev_fw_count(f, device, k, ok);
    if (!ok)
        fs_fleet_report(f, device, FS_REP_FIREWALL_VIOLATION, app);
    return ok;
}

static bool
caps_claim(const struct fs_scn_caps *caps, enum fs_periph cls, const char *name)
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

/* Peripheral access check; see device.h. */
bool
fs_fw_peripheral(struct fs_fleet *f, uint32_t device, unsigned core,
                 enum fs_periph cls, const char *name)
{
    FS_ASSERT(device < f->ndevs);
    bool ok = false;
    uint32_t img = FS_NO_IMAGE;
    if (core < FS_APPS_MAX) {
        img = fs__dev_running_app(f, &f->devs[device], core);
        ok = img != FS_NO_IMAGE &&
             caps_claim(&fs__dev_image(f, img)->caps, cls, name);
    }
    if (!fs_scn_defense_on(f->env.scn, FS_DEF_PERIPHERAL_FIREWALL))
        ok = true;
    return fw_decide(f, device, FS_FW_PERIPHERAL, img, ok);
}

/* Network connect check; see device.h. */
bool
fs_fw_connect(struct fs_fleet *f, uint32_t device, unsigned core,
              const char *host)
{
    FS_ASSERT(device < f->ndevs);
    bool ok = false;
    uint32_t img = core < FS_APPS_MAX
                       ? fs__dev_running_app(f, &f->devs[device], core)
                       : FS_NO_IMAGE;
    if (core == FS_CORE_HL)
        ok = img != FS_NO_IMAGE &&
             strlist_has(&fs__dev_image(f, img)->caps.allowed_hosts, host);
    if (!fs_scn_defense_on(f->env.scn, FS_DEF_NETWORK_FIREWALL))
        ok = true;
    return fw_decide(f, device, FS_FW_NETWORK, img, ok);
}
