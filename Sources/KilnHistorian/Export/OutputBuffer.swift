#if canImport(Glibc)
    import Glibc
#endif

/// Bytes on their way to a file descriptor, written in 256 KiB chunks: export formats rows
/// straight into it, with no per-row `String`.
public final class OutputBuffer {
    public let fd: Int32
    let capacity = 1 << 18
    let base: UnsafeMutablePointer<UInt8>
    var count = 0
    /// Bytes written to the descriptor so far.
    public private(set) var written = 0

    public init(fd: Int32) {
        self.fd = fd
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Writes out what is buffered.
    public func flush() throws(HistorianError) {
        var offset = 0
        while offset < count {
            let n = write(fd, base + offset, count - offset)
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                throw HistorianError("cannot write the export: \(String(cString: strerror(code)))")
            }
            offset += n
        }
        written += count
        count = 0
    }

    /// Makes room for `n` more bytes.
    @inline(__always) func reserve(_ n: Int) throws(HistorianError) {
        if count + n > capacity { try flush() }
    }

    @inline(__always) func byte(_ b: UInt8) {
        base[count] = b
        count += 1
    }

    @inline(__always) func bytes(_ p: UnsafeRawBufferPointer) {
        guard let src = p.baseAddress, p.count > 0 else { return }
        (base + count).update(from: src.assumingMemoryBound(to: UInt8.self), count: p.count)
        count += p.count
    }

    @inline(__always) func bytes(_ a: [UInt8]) {
        a.withUnsafeBytes { bytes($0) }
    }

    /// Appends a copy of bytes already in the buffer, `[from, to)`.
    @inline(__always) func repeatBytes(from: Int, to: Int) {
        let n = to - from
        (base + count).update(from: base + from, count: n)
        count += n
    }

    /// Appends text of any length (flushing as needed).
    public func text(_ s: String) throws(HistorianError) {
        var s = s
        let utf8 = s.withUTF8 { Array($0) }
        var offset = 0
        while offset < utf8.count {
            if count == capacity { try flush() }
            let n = min(capacity - count, utf8.count - offset)
            utf8.withUnsafeBytes { bytes(UnsafeRawBufferPointer(rebasing: $0[offset..<offset + n])) }
            offset += n
        }
    }

    /// Decimal digits of `v`.
    @inline(__always) func integer(_ v: Int64) {
        if v < 0 {
            byte(45)
            unsigned(v.magnitude)
        } else {
            unsigned(UInt64(v))
        }
    }

    @inline(__always) func unsigned(_ v: UInt64) {
        var n = 1
        var t = v
        while t >= 10 {
            n += 1
            t /= 10
        }
        var x = v
        var i = count + n - 1
        while i >= count {
            base[i] = 48 + UInt8(x % 10)
            x /= 10
            i -= 1
        }
        count += n
    }

    /// `width` digits of `v`, zero-padded.
    @inline(__always) func padded(_ v: Int, width: Int) {
        var x = v
        var i = count + width - 1
        while i >= count {
            base[i] = 48 + UInt8(x % 10)
            x /= 10
            i -= 1
        }
        count += width
    }
}
