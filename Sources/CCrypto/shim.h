#include <openssl/sha.h>
#include <openssl/hmac.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>

/// HMAC-SHA256 of `data` with `key` into `out` (32 bytes). Returns 1 on success, 0 on failure.
static inline int tide_hmac_sha256(const void *key, int key_len, const unsigned char *data, size_t data_len,
                                   unsigned char *out) {
    unsigned int out_len = 0;
    unsigned char *r = HMAC(EVP_sha256(), key, key_len, data, data_len, out, &out_len);
    return (r != NULL && out_len == 32) ? 1 : 0;
}

/// Constant-time comparison of two buffers of `len` bytes: 0 when equal.
static inline int tide_memcmp_consttime(const void *a, const void *b, size_t len) {
    return CRYPTO_memcmp(a, b, len);
}
