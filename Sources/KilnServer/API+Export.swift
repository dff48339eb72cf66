import Hummingbird
import KilnCore
import KilnHistorian
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

extension API {
    /// `GET /api/v1/export`: `kiln export`'s options and output (CSV by default, `format=jsonl`
    /// or `influx`), streamed: the exporter writes into a pipe on a thread of its own (blocked
    /// while the client is slow, so memory stays constant), the response reads the pipe.
    func export(_ request: Request) async throws -> Response {
        guard let path = gateway.config.historian?.path else {
            throw APIError.notFound("this gateway keeps no history (its config has no historian:)")
        }
        let parameters = request.uri.queryParameters
        let query = try HistoryQuery(
            parameters, now: WallClock.epochMicroseconds(), defaultFrom: nil, multipleAggregates: true)
        let formatText = parameters.get("format") ?? "csv"
        guard let format = ExportFormat(rawValue: formatText) else {
            throw APIError.badRequest("unknown format '\(formatText)'; use csv, jsonl or influx")
        }
        var exportRequest = ExportRequest(
            from: query.from, to: query.to, tags: parameters.getAll("tag"), every: query.every,
            aggregates: query.aggregates, format: format)
        exportRequest.origin = query.origin
        let prepared = exportRequest
        let box: ExporterBox = try await OffThread.run {
            let reader: HistoryReader
            do {
                reader = try HistoryReader(path: path)
            } catch {
                throw APIError(.serviceUnavailable, "the historian cannot be read: \(error)")
            }
            do {
                return ExporterBox(try Exporter(reader: reader, request: prepared))
            } catch {
                throw APIError.badRequest((error as? HistorianError)?.message ?? "\(error)")
            }
        }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw APIError(.internalServerError, "cannot stream the export: \(String(cString: strerror(errno)))")
        }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        // Not inherited by programs Kiln starts (hooks, ssh) while the export runs.
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
        let failure = ExportFailure()
        var handle = pthread_t()
        let rc = OSThread.spawn(name: "kiln-http-export", detached: true, handle: &handle) {
            do {
                _ = try box.exporter.run(to: OutputBuffer(fd: writeEnd))
            } catch {
                failure.message.withLock { $0 = "\(error)" }
            }
            close(writeEnd)
        }
        guard rc == 0 else {
            close(readEnd)
            close(writeEnd)
            throw APIError(.internalServerError, "cannot start the export")
        }
        let logger = self.logger
        let body = ResponseBody { writer in
            defer { close(readEnd) }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                if n > 0 {
                    try await writer.write(ByteBuffer(bytes: chunk[0..<n]))
                } else if n == 0 {
                    break
                } else if errno == EAGAIN || errno == EINTR {
                    try await Task.sleep(for: .milliseconds(2))
                } else {
                    throw HTTPServerError("export: reading its pipe: \(String(cString: strerror(errno)))")
                }
            }
            if let message = failure.message.withLock({ $0 }) {
                // The status is sent: ending the stream unfinished is how a client learns.
                logger.error("export failed midway", metadata: ["kiln.error": "\(message)"])
                throw HTTPServerError("export failed midway: \(message)")
            }
            try await writer.finish(nil)
        }
        var headers = HTTPFields()
        switch format {
        case .csv: headers[.contentType] = "text/csv; charset=utf-8"
        case .jsonl: headers[.contentType] = "application/x-ndjson"
        case .influx: headers[.contentType] = "text/plain; charset=utf-8"
        }
        headers[.contentDisposition] =
            "attachment; filename=\"kiln-export.\(format == .influx ? "lp" : format.rawValue)\""
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: body)
    }
}

/// Hands the exporter (a reader and its connection, used by one thread at a time) to the
/// export's thread.
final class ExporterBox: @unchecked Sendable {
    // @unchecked: created by the handler, then used only by the export thread.
    let exporter: Exporter
    init(_ exporter: Exporter) { self.exporter = exporter }
}

/// What went wrong on the export's thread, for the response's stream.
final class ExportFailure: Sendable {
    let message = Mutex<String?>(nil)
}
