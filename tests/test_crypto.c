/*
 * tests/test_crypto.c - the signature operations in both schemes.
 *
 * Owns: the checks that --crypto model keeps every check's meaning (a
 * signature verifies under its own key over its own message, and fails
 * under another key, over a changed message, garbled, or made with
 * another key), that it keeps libsodium's key layout, that counted and
 * uncounted operations agree, and that the counts are one per operation
 * in either scheme; and that work started ahead on the thread pool is
 * taken only for exactly its inputs.
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

/*
 * Work started ahead on the pool (2 and 4 threads, both schemes) gives the
 * bytes and answers the inline operations give, and is taken only for
 * exactly its inputs: a check started for one signature never answers for
 * another, a tampered message or a flipped bit; counts are one per
 * operation asked for, whether or not work was started ahead.
 */
static void
test_crypto_pool_work_ahead(void **state)
{
    (void)state;
    static const unsigned char msg[] = "evidence of device 7";
    static const unsigned char other[] = "evidence of device 8";
    static const unsigned threads[] = {2, 4};
    for (size_t k = 0; k < 2; k++) {
        for (size_t t = 0; t < 2; t++) {
            unsigned char seed[32], pk[32], sk[64], want[64], sig[64];
            unsigned char bad[64], ksk[64], kpk[32], psk[64];
            seed_of(seed, (unsigned char)(11 + k));
            fs_crypto_plain_keygen(kinds[k], pk, sk, seed);
            fs_crypto_plain_sign(kinds[k], want, msg, sizeof(msg), sk);
            struct fs_sim *sim;
            struct fs_crypto *c;
            assert_int_equal(fs_sim_create(1, 0, &sim), 0);
            assert_int_equal(fs_crypto_create(NULL, &c), 0);
            fs_crypto_set_kind(c, kinds[k]);
            fs_crypto_attach(sim, c);
            assert_int_equal(fs_crypto_set_threads(c, threads[t]), 0);
            assert_true(fs_crypto_ahead(sim));
            /* key generation spread over the pool */
            fs_crypto_keygen_start(sim, ksk, seed);
            fs_crypto_drain(sim);
            fs_crypto_plain_keygen(kinds[k], kpk, psk, seed);
            assert_memory_equal(ksk, psk, 64);
            /* a prefetched signature and its check */
            fs_crypto_prefetch_sign(sim, msg, sizeof(msg), sk, true, 30000000);
            fs_crypto_sign(sim, sig, msg, sizeof(msg), sk);
            assert_memory_equal(sig, want, 64);
            memcpy(bad, want, 64);
            bad[5] ^= 0x10;
            assert_int_equal(fs_crypto_verify(sim, bad, msg, sizeof(msg), pk),
                             FS_EBADSIG); /* not the started check's answer */
            assert_int_equal(
                fs_crypto_verify(sim, want, other, sizeof(other), pk),
                FS_EBADSIG); /* another message */
            assert_int_equal(fs_crypto_verify(sim, want, msg, sizeof(msg), pk),
                             0);
            /* a deferred signature, settled */
            struct fs_crypto_job *pending = NULL;
            memset(sig, 0, sizeof(sig));
            fs_crypto_sign_deferred(sim, sig, msg, sizeof(msg), sk, true,
                                    &pending);
            fs_crypto_settle(&pending);
            assert_null(pending);
            assert_memory_equal(sig, want, 64);
            assert_int_equal(fs_crypto_verify(sim, sig, msg, sizeof(msg), pk),
                             0);
            /* verify-only work ahead, short and long (hours away) */
            const int64_t dues[] = {50000, 6 * 3600 * 1000000LL};
            for (size_t d = 0; d < 2; d++) {
                fs_crypto_prefetch_verify(sim, bad, msg, sizeof(msg), pk,
                                          dues[d]);
                fs_crypto_prefetch_verify(sim, want, other, sizeof(other), pk,
                                          dues[d]);
                assert_int_equal(
                    fs_crypto_verify(sim, want, msg, sizeof(msg), pk), 0);
                assert_int_equal(
                    fs_crypto_verify(sim, bad, msg, sizeof(msg), pk),
                    FS_EBADSIG);
                assert_int_equal(
                    fs_crypto_verify(sim, want, other, sizeof(other), pk),
                    FS_EBADSIG);
            }
            const struct fs_crypto_stats *st = fs_crypto_counts(c);
            assert_int_equal(st->keygen, 1);
            assert_int_equal(st->sign, 2);
            assert_int_equal(st->verify, 4 + 2 * 3);
            assert_true(fs_crypto_waste(c)->started > 0);
            fs_crypto_attach(sim, NULL);
            fs_sim_destroy(sim);
            fs_crypto_destroy(c);
        }
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
        cmocka_unit_test(test_crypto_pool_work_ahead),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
