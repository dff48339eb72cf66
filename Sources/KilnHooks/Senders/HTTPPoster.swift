import AsyncHTTPClient
import Foundation

/// POSTs a body with async-http-client (HTTPS verified against the system trust store, AHC's
/// default) and maps the answer to a ``DeliveryOutcome``.
struct HTTPPoster: Sendable {
    let client: HTTPClient
    let timeout: Duration
    /// The most of an answer's body kept (for errors and `kiln hooks test`).
    static let answerLimit = 4096

    func post(url: String, headers: [(String, String)], body: [UInt8], now: Int64) async -> DeliveryOutcome {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "user-agent", value: "kiln-hooks")
        request.body = .bytes(body)
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            var answer: [UInt8] = []
            do {
                for try await chunk in response.body {
                    if answer.count < Self.answerLimit {
                        answer += chunk.readableBytesView.prefix(Self.answerLimit - answer.count)
                    }
                }
            } catch {
                return .retry(error: "reading the answer: \(error)", retryAfter: nil)
            }
            let text = String(decoding: answer, as: UTF8.self)
            let code = Int(response.status.code)
            switch code {
            case 200..<300:
                return .delivered(answer: "HTTP \(code) \(text)")
            case 410:
                return .gone(error: "HTTP 410 Gone from \(url) \(Self.short(text))")
            default:
                let retryAfter = response.headers.first(name: "retry-after").flatMap {
                    Self.retryAfter($0, now: now)
                }
                return .retry(error: "HTTP \(code) from \(url) \(Self.short(text))", retryAfter: retryAfter)
            }
        } catch {
            return .retry(error: "\(url): \(error)", retryAfter: nil)
        }
    }

    static func short(_ text: String) -> String {
        let one = text.replacingOccurrences(of: "\n", with: " ")
        return one.count > 200 ? String(one.prefix(200)) + "…" : one
    }

    /// `Retry-After`: delay-seconds or an HTTP date (RFC 9110), relative to `now` (µs).
    static func retryAfter(_ value: String, now: Int64) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int64(text), seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) {
                let micros = Int64(date.timeIntervalSince1970 * 1_000_000) - now
                return .microseconds(max(0, micros))
            }
        }
        return nil
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
