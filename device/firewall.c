/*
 * device/firewall.c - the per-core peripheral and network firewalls.
 *
 * Owns: the decision whether code on a core may touch a peripheral or
 * connect to a host, derived from the running apps' manifests (each
 * peripheral maps to the one core whose app claims it), and the counting
 * of every check in firewall{kind, result}.
 * Invariants: real-time cores never reach the network while the network
 * firewall is on; a check never changes device state.
 * Does not: act on a violation (attacks and reports are elsewhere).
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

static bool
caps_claim(const struct fs_scn_caps *caps, enum fs_periph cls,
           const char *name)
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
    if (core < FS_APPS_MAX) {
        uint32_t img = fs__dev_running_app(f, &f->devs[device], core);
        ok = img != FS_NO_IMAGE &&
             caps_claim(&fs__dev_image(f, img)->caps, cls, name);
    }
    if (!fs_scn_defense_on(f->env.scn, FS_DEF_PERIPHERAL_FIREWALL))
        ok = true;
    fs__dev_fw_count(f, device, FS_FW_PERIPHERAL, ok);
    return ok;
}

/* Network connect check; see device.h. */
bool
fs_fw_connect(struct fs_fleet *f, uint32_t device, unsigned core,
              const char *host)
{
    FS_ASSERT(device < f->ndevs);
    bool ok = false;
    if (core == FS_SCN_CORE_HL) {
        uint32_t img = fs__dev_running_app(f, &f->devs[device], core);
        ok = img != FS_NO_IMAGE &&
             strlist_has(&fs__dev_image(f, img)->caps.allowed_hosts, host);
    }
    if (!fs_scn_defense_on(f->env.scn, FS_DEF_NETWORK_FIREWALL))
        ok = true;
    fs__dev_fw_count(f, device, FS_FW_NETWORK, ok);
    return ok;
}
