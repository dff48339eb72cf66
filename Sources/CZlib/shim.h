#ifndef KILN_CZLIB_SHIM_H
#define KILN_CZLIB_SHIM_H

#include <string.h>
#include <zlib.h>

// deflateInit2 is a macro Swift cannot import: one call that gzips a buffer whole.

/// The most bytes kiln_gzip can write for `length` input bytes.
static inline size_t kiln_gzip_bound(size_t length) { return compressBound((uLong)length) + 32; }

/// Gzips `length` bytes of `input` into `output` (`*output_length` bytes of room, set to the
/// bytes written); 0 on success.
static inline int kiln_gzip(const unsigned char *input, size_t length, unsigned char *output, size_t *output_length,
                            int level) {
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    if (deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
    stream.next_in = (Bytef *)input;
    stream.avail_in = (uInt)length;
    stream.next_out = output;
    stream.avail_out = (uInt)*output_length;
    int rc = deflate(&stream, Z_FINISH);
    *output_length = stream.total_out;
    deflateEnd(&stream);
    return rc == Z_STREAM_END ? 0 : -1;
}

#endif
