import Hummingbird
import KilnCore
import KilnRemediation

extension API {
    /// Every run not done (awaiting approval, queued, running, verifying), oldest first.
    func remediations() async throws -> Response {
        guard let service = gateway.remediation else {
            return JSONResponse.make(bytes: Array(#"{"runs":[]}"#.utf8))
        }
        let runs: [RunRow]
        do {
            runs = try await OffThread.run { try service.list() }
        } catch {
            throw APIError(.internalServerError, "cannot read the remediation queue: \(error)")
        }
        var json = JSONBytes(capacity: 256 * runs.count + 16)
        json.raw("{\"runs\":[")
        for (n, run) in runs.enumerated() {
            if n > 0 { json.raw(",") }
            API.encode(run, into: &json)
        }
        json.raw("]}")
        return JSONResponse.make(json)
    }

    /// `POST /api/v1/remediations/{id}/approve|reject`, logged with its caller, who is recorded
    /// in the audit log as the one who decided.
    func remediationCommand(_ action: String, _ request: Request, _ context: APIContext, caller: String)
        async throws -> Response
    {
        guard let service = gateway.remediation else {
            throw APIError.notFound("this gateway has no remediation")
        }
        let text = try segment(context, "id")
        guard let id = Int64(text), id > 0 else {
            throw APIError.badRequest("a run id is a positive number, not '\(text)'")
        }
        let result: Result<RunRow, RunQueueError> = try await OffThread.run {
            Result { () throws(RunQueueError) -> RunRow in
                action == "approve" ? try service.approve(id: id, by: caller) : try service.reject(id: id, by: caller)
            }
        }
        switch result {
        case .success(let run):
            logger.notice(
                "remediation command",
                metadata: ["kiln.action": "\(action)", "kiln.run": "\(id)", "kiln.caller": "\(caller)"])
            var json = JSONBytes(capacity: 512)
            API.encode(run, into: &json)
            return JSONResponse.make(json)
        case .failure(let error):
            logger.notice(
                "remediation command refused",
                metadata: [
                    "kiln.action": "\(action)", "kiln.run": "\(id)", "kiln.caller": "\(caller)",
                    "kiln.reason": "\(error.description)",
                ])
            throw error.unknown ? APIError.notFound(error.description) : APIError.conflict(error.description)
        }
    }

    /// RUN of the API contract: `state` is the queue's state (`awaiting_approval`, `queued`,
    /// `running`, `verifying`) or, for a run that is done, its outcome (`succeeded`, `rejected`…).
    static func encode(_ r: RunRow, into json: inout JSONBytes) {
        json.raw("{\"id\":")
        json.integer(r.id)
        json.raw(",\"rule\":")
        json.string(r.rule)
        json.raw(",\"host\":")
        json.string(r.host)
        json.raw(",\"alarm\":")
        json.string(r.alarm)
        json.raw(",\"episode\":")
        json.string(r.episode)
        json.raw(",\"attempt\":")
        json.integer(r.attempt)
        json.raw(",\"state\":")
        json.string(r.state == .done ? (r.outcome?.rawValue ?? "done") : r.state.rawValue)
        json.raw(",\"outcome\":")
        json.string(r.outcome?.rawValue)
        json.raw(",\"mode\":")
        json.string(r.mode.rawValue)
        json.raw(",\"argv\":[")
        for (n, word) in r.argv.enumerated() {
            if n > 0 { json.raw(",") }
            json.string(word)
        }
        json.raw("],\"created_at\":")
        json.time(micros: r.created)
        json.raw(",\"due_at\":")
        json.time(micros: r.due)
        json.raw(",\"started_at\":")
        json.time(micros: r.started)
        json.raw(",\"ended_at\":")
        json.time(micros: r.ended)
        json.raw(",\"exit_code\":")
        if let code = r.exitCode { json.integer(code) } else { json.null() }
        json.raw(",\"decided_by\":")
        json.string(r.decidedBy)
        json.raw(",\"note\":")
        json.string(r.note)
        json.raw(",\"detail\":")
        json.string(r.detail)
        json.raw("}")
    }
}
