/*
 * tests/test_crypto.c - the signature operations in both schemes.
 *
 * Owns: the checks that --crypto model keeps every check's meaning (a
 * signature verifies under its own key over its own message, and fails
 * under another key, over a changed message, garbled, or made with
 * another key), that it keeps libsodium's key layout, that counted and
 * uncounted operations agree, and that the counts are one per operation
 * in either scheme.
 * Does not: run scenarios (tests/crypto-model-check.sh compares whole runs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "fleetsim/crypto.h"
#include "fleetsim/err.h"
#include "fleetsim/sim.h"

static const enum fs_crypto_kind kinds[] = {FS_CRYPTO_REAL, FS_CRYPTO_MODEL};

static void
seed_of(unsigned char seed[32], unsigned char v)
{
    for (int i = 0; i < 32; i++)
        seed[i] = (unsigned char)(v + 7 * i);
}

static void
test_crypto_kind_names(void **state)
{
    (void)state;
    enum fs_crypto_kind k = FS_CRYPTO_MODEL;
    assert_int_equal(fs_crypto_kind_parse("real", &k), 0);
    assert_int_equal(k, FS_CRYPTO_REAL);
    assert_int_equal(fs_crypto_kind_parse("model", &k), 0);
    assert_int_equal(k, FS_CRYPTO_MODEL);
    assert_int_equal(fs_crypto_kind_parse("Model", &k), FS_EINVAL);
    assert_int_equal(fs_crypto_kind_parse("", &k), FS_EINVAL);
    assert_int_equal(fs_crypto_kind_parse(NULL, &k), FS_EINVAL);
    assert_string_equal(fs_crypto_kind_name(FS_CRYPTO_REAL), "real");
    assert_string_equal(fs_crypto_kind_name(FS_CRYPTO_MODEL), "model");
}

/* Key layout: sk = seed || pk, deterministic from the seed. */
static void
test_crypto_key_layout(void **state)
{
    (void)state;
    unsigned char seed[32], pk[32], sk[64], pk2[32], sk2[64];
    seed_of(seed, 1);
    for (size_t k = 0; k < 2; k++) {
        fs_crypto_plain_keygen(kinds[k], pk, sk, seed);
        fs_crypto_plain_keygen(kinds[k], pk2, sk2, seed);
        assert_memory_equal(pk, pk2, 32);
        assert_memory_equal(sk, sk2, 64);
        assert_memory_equal(sk, seed, 32);
        assert_memory_equal(sk + 32, pk, 32);
        seed[0] ^= 1;
        fs_crypto_plain_keygen(kinds[k], pk2, sk2, seed);
        seed[0] ^= 1;
        assert_memory_not_equal(pk, pk2, 32);
    }
    /* The schemes' keys differ (fleet.db's key columns tell them apart). */
    fs_crypto_plain_keygen(FS_CRYPTO_REAL, pk, sk, seed);
    fs_crypto_plain_keygen(FS_CRYPTO_MODEL, pk2, sk2, seed);
    assert_memory_not_equal(pk, pk2, 32);
}

/* Every check fails where Ed25519's fails, in both schemes. */
static void
test_crypto_checks_keep_their_meaning(void **state)
{
    (void)state;
    unsigned char seed[32], pk[32], sk[64], opk[32], osk[64], sig[64], osig[64],
        bad[64];
    unsigned char msg[100];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (unsigned char)(i * 13 + 5);
    for (size_t k = 0; k < 2; k++) {
        enum fs_crypto_kind kind = kinds[k];
        seed_of(seed, 1);
        fs_crypto_plain_keygen(kind, pk, sk, seed);
        seed_of(seed, 2);
        fs_crypto_plain_keygen(kind, opk, osk, seed);
        fs_crypto_plain_sign(kind, sig, msg, sizeof(msg), sk);
        assert_int_equal(
            fs_crypto_plain_verify(kind, sig, msg, sizeof(msg), pk), 0);
        /* a wrong key */
        assert_int_equal(
            fs_crypto_plain_verify(kind, sig, msg, sizeof(msg), opk),
            FS_EBADSIG);
        /* a forged signature: the attacker's own key over the message */
        fs_crypto_plain_sign(kind, osig, msg, sizeof(msg), osk);
        assert_int_equal(
            fs_crypto_plain_verify(kind, osig, msg, sizeof(msg), pk),
            FS_EBADSIG);
        /* a changed message: any byte, a shorter or a longer one */
        for (size_t i = 0; i < sizeof(msg); i++) {
            msg[i] ^= 0x20;
            assert_int_equal(
                fs_crypto_plain_verify(kind, sig, msg, sizeof(msg), pk),
                FS_EBADSIG);
            msg[i] ^= 0x20;
        }
        assert_int_equal(
            fs_crypto_plain_verify(kind, sig, msg, sizeof(msg) - 1, pk),
            FS_EBADSIG);
        /* a garbled signature: any one bit */
        for (int bit = 0; bit < 512; bit++) {
            memcpy(bad, sig, 64);
            bad[bit / 8] ^= (unsigned char)(1u << (bit % 8));
            assert_int_equal(
                fs_crypto_plain_verify(kind, bad, msg, sizeof(msg), pk),
                FS_EBADSIG);
        }
        memset(bad, 0, sizeof(bad));
        assert_int_equal(
            fs_crypto_plain_verify(kind, bad, msg, sizeof(msg), pk),
            FS_EBADSIG);
        /* the other scheme's signature is not this one's */
        fs_crypto_plain_sign(kinds[1 - k], bad, msg, sizeof(msg), sk);
        assert_memory_not_equal(bad, sig, 64);
    }
}

/* Counted operations: the attached scheme's bytes, one count each. */
static void
test_crypto_counts_the_same_in_both(void **state)
{
    (void)state;
    unsigned char seed[32], pk[32], sk[64], ppk[32], psk[64], sig[64], psig[64];
    static const unsigned char msg[] = "update record";
    seed_of(seed, 3);
    for (size_t k = 0; k < 2; k++) {
        struct fs_sim *sim;
        struct fs_crypto *c;
        assert_int_equal(fs_sim_create(1, 0, &sim), 0);
        assert_int_equal(fs_crypto_kind_of(sim), FS_CRYPTO_REAL);
        assert_int_equal(fs_crypto_create(NULL, &c), 0);
        fs_crypto_set_kind(c, kinds[k]);
        fs_crypto_attach(sim, c);
        assert_int_equal(fs_crypto_kind_of(sim), kinds[k]);
        fs_crypto_keygen(sim, pk, sk, seed);
        fs_crypto_sign(sim, sig, msg, sizeof(msg), sk);
        fs_crypto_sign(sim, sig, msg, sizeof(msg), sk);
        assert_int_equal(fs_crypto_verify(sim, sig, msg, sizeof(msg), pk), 0);
        sig[0] ^= 1;
        assert_int_equal(fs_crypto_verify(sim, sig, msg, sizeof(msg), pk),
                         FS_EBADSIG);
        sig[0] ^= 1;
        assert_int_equal(fs_crypto_verify(sim, sig, msg, sizeof(msg), pk), 0);
        const struct fs_crypto_stats *st = fs_crypto_counts(c);
        assert_int_equal(st->keygen, 1);
        assert_int_equal(st->sign, 2);
        assert_int_equal(st->verify, 3);
        fs_crypto_plain_keygen(kinds[k], ppk, psk, seed);
        fs_crypto_plain_sign(kinds[k], psig, msg, sizeof(msg), psk);
        assert_memory_equal(pk, ppk, 32);
        assert_memory_equal(sk, psk, 64);
        assert_memory_equal(sig, psig, 64);
        /* no counters attached: real */
        fs_crypto_attach(sim, NULL);
        assert_int_equal(fs_crypto_kind_of(sim), FS_CRYPTO_REAL);
        fs_crypto_keygen(sim, pk, sk, seed);
        fs_crypto_plain_keygen(FS_CRYPTO_REAL, ppk, psk, seed);
        assert_memory_equal(pk, ppk, 32);
        fs_sim_destroy(sim);
        fs_crypto_destroy(c);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crypto_kind_names),
        cmocka_unit_test(test_crypto_key_layout),
        cmocka_unit_test(test_crypto_checks_keep_their_meaning),
        cmocka_unit_test(test_crypto_counts_the_same_in_both),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
