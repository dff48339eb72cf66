// OpenSSL's libcrypto (Debian libssl-dev): the plant's own, patched, possibly FIPS-validated
// build. Only KilnCrypto imports this module.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
