import Foundation
import Hummingbird
import KilnAlarms
import KilnCore

extension API {
    /// Every alarm: active or unacknowledged first, then by path.
    func alarms() -> Response {
        let records = (gateway.alarms?.runner.list() ?? []).sorted { a, b in
            let ka = a.active || !a.acked
            let kb = b.active || !b.acked
            return ka != kb ? ka : a.path < b.path
        }
        var json = JSONBytes(capacity: 256 * records.count + 16)
        json.raw("{\"alarms\":[")
        for (n, record) in records.enumerated() {
            if n > 0 { json.raw(",") }
            API.encode(record, into: &json)
        }
        json.raw("]}")
        return JSONResponse.make(json)
    }

    /// The longest shelve reason taken.
    static let maximumReason = 200

    /// The body of `POST …/shelve`: both optional.
    struct ShelveBody {
        var `for`: String?
        var reason: String?
    }

    /// `POST /api/v1/alarms/{id}/ack|shelve|unshelve`: the command through the running engine,
    /// logged with its caller; 404 for no such alarm, 409 when its state does not allow it.
    func alarmCommand(_ action: String, _ request: Request, _ context: APIContext, caller: String) async throws
        -> Response
    {
        guard let runner = gateway.alarms?.runner else { throw APIError.notFound("this gateway has no alarms") }
        let id = try segment(context, "id")
        guard runner.list().contains(where: { $0.path == id || $0.episode == id }) else {
            throw APIError.notFound("no alarm or episode '\(id)' (GET /api/v1/alarms lists them)")
        }
        var command = AlarmCommand(action: AlarmCommand.Action(rawValue: action)!, target: id, by: caller)
        if command.action == .shelve {
            let body = try await shelveBody(request, context)
            if let text = body.for {
                guard let duration = DurationText.parse(text), duration > .zero else {
                    throw APIError.badRequest("'for' must be a duration such as 30m, 2h or 1d, not '\(text)'")
                }
                command.duration = duration
            }
            let reason = body.reason?.trimmingWhitespace() ?? ""
            command.note = reason.isEmpty ? "shelved from the HTTP API" : reason
        }
        switch await runner.perform(command) {
        case .success:
            logger.notice(
                "alarm command",
                metadata: [
                    "kiln.action": "\(action)", "kiln.alarm": "\(id)", "kiln.caller": "\(caller)",
                ])
        case .failure(let error):
            logger.notice(
                "alarm command refused",
                metadata: [
                    "kiln.action": "\(action)", "kiln.alarm": "\(id)", "kiln.caller": "\(caller)",
                    "kiln.reason": "\(error.message)",
                ])
            // A shelve longer than alarms.max_shelve is a bad parameter; anything else is a
            // command the alarm's state does not allow (nothing to acknowledge, not shelved).
            if error.message.contains("longest shelve") || error.message.contains("must be positive") {
                throw APIError.badRequest(error.message)
            }
            throw APIError.conflict(error.message)
        }
        guard let record = runner.list().first(where: { $0.path == id || $0.episode == id }) else {
            throw APIError.notFound("alarm '\(id)' is gone")
        }
        var json = JSONBytes(capacity: 512)
        API.encode(record, into: &json)
        return JSONResponse.make(json)
    }

    private func shelveBody(_ request: Request, _ context: APIContext) async throws -> ShelveBody {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: context.maxUploadSize)
        } catch {
            throw APIError(.contentTooLarge, "the body is larger than \(context.maxUploadSize) bytes")
        }
        let bytes = buffer.readableBytesView
        guard bytes.contains(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) else {
            return ShelveBody()
        }
        let hint = "the body must be JSON such as {\"for\":\"1h\",\"reason\":\"sensor replaced\"} (both optional)"
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw APIError.badRequest(hint)
        }
        if let unknown = object.keys.first(where: { $0 != "for" && $0 != "reason" }) {
            throw APIError.badRequest("unknown key '\(unknown)' in the body; \(hint)")
        }
        var body = ShelveBody()
        for (key, value) in object {
            guard let text = value as? String else { throw APIError.badRequest("'\(key)' must be a string; \(hint)") }
            if key == "for" { body.for = text } else { body.reason = text }
        }
        if let reason = body.reason, reason.unicodeScalars.count > API.maximumReason {
            throw APIError.badRequest("the reason is longer than \(API.maximumReason) characters")
        }
        return body
    }

    /// ALARM of the API contract.
    static func encode(_ r: AlarmRecord, into json: inout JSONBytes) {
        json.raw("{\"id\":")
        json.string(r.path)
        json.raw(",\"name\":")
        json.string(r.name)
        json.raw(",\"device\":")
        json.string(r.device)
        json.raw(",\"tag\":")
        json.string(r.tag)
        json.raw(",\"kind\":")
        json.string(r.kind.rawValue)
        json.raw(",\"severity\":")
        json.string(r.severity.rawValue)
        json.raw(",\"state\":")
        json.string(r.state.rawValue)
        json.raw(",\"active\":")
        json.bool(r.active)
        json.raw(",\"acked\":")
        json.bool(r.acked)
        json.raw(",\"shelved\":")
        json.bool(r.shelved)
        json.raw(",\"shelved_until\":")
        json.time(micros: r.shelved ? r.shelvedUntil : nil)
        json.raw(",\"suppressed\":")
        json.bool(r.suppressed)
        json.raw(",\"since\":")
        json.time(micros: r.activeSince)
        json.raw(",\"value\":")
        json.number(r.value)
        json.raw(",\"limit\":")
        json.string(r.limitText)
        json.raw(",\"episode\":")
        json.string(r.episode)
        json.raw("}")
    }
}
