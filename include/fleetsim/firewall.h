/*
 * include/fleetsim/firewall.h - the per-core peripheral and network
 * firewalls of every device.
 *
 * Owns: the decision whether code on a core may touch a peripheral (by
 * the device's owner map, built at each boot from the manifests of the
 * apps that booted: each peripheral belongs to the one core whose app
 * claims it) or connect to a host; the counting of every check in
 * firewall{kind, result}.
 * Invariants: real-time cores never reach the network, whatever the
 * defences say; a check changes nothing but the counters, the record
 * and, when it blocks, the device's report queue.
 * Does not: act on a violation otherwise (attacks are elsewhere).
 */
#ifndef FLEETSIM_FIREWALL_H
#define FLEETSIM_FIREWALL_H

#include <stdbool.h>
#include <stdint.h>

struct fs_fleet;

/* Peripheral classes an app manifest may claim. */
enum fs_periph {
    FS_PERIPH_GPIO = 0,
    FS_PERIPH_UART,
    FS_PERIPH_I2C,
    FS_PERIPH_SPI,
    FS_PERIPH_ADC
};

/* Which firewall (FS_REC_DEV_FW_BLOCKED values, firewall{kind}). */
enum fs_fw_kind { FS_FW_PERIPHERAL = 0, FS_FW_NETWORK, FS_FW_KEYSTORE };

/*
 * May the app on core (0 hl, 1 rt0, 2 rt1) touch peripheral name of class
 * cls (GPIO numbers as decimal text)? Allowed only when the owner map gives
 * the peripheral to that core and its app claims it in class cls (serial
 * units: uart, i2c or spi), or when peripheral_firewall is off. Counted and,
 * when blocked, recorded and reported (firewall_violation, for the app on
 * that core or FS_NO_IMAGE).
 */
bool fs_fw_peripheral(struct fs_fleet *f, uint32_t device, unsigned core,
                      enum fs_periph cls, const char *name);
/*
 * May the app on core connect to host? Real-time cores have no network,
 * with or without network_firewall; the high-level app may reach only its
 * manifest's allowed_hosts, or any host with network_firewall off.
 * Counted and, when blocked,
 * recorded and reported (firewall_violation, as fs_fw_peripheral).
 */
bool fs_fw_connect(struct fs_fleet *f, uint32_t device, unsigned core,
                   const char *host);

#endif
