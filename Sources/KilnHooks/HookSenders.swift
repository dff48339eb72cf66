import AsyncHTTPClient
import KilnCore

/// Builds each hook's sender from its config, reading its secret.
public enum HookSenders {
    /// The sender of `hook`.
    ///
    /// - Throws: `HookError` when its secret cannot be read or its config lacks what its kind needs.
    public static func make(
        _ hook: HookConfig, environment: [String: String] = SecretReader.currentEnvironment(),
        client: HTTPClient = HookHTTPClient.shared
    ) throws(HookError) -> any HookTransport {
        func secret() throws(HookError) -> [UInt8]? {
            guard let source = hook.secret else { return nil }
            do {
                return try SecretReader.read(source, environment: environment)
            } catch {
                throw HookError("hook \(hook.name): \(error.message)")
            }
        }
        func url() throws(HookError) -> String {
            guard let url = hook.url, url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw HookError("hook \(hook.name): kind \(hook.kind.rawValue) needs an http:// or https:// url")
            }
            return url
        }
        switch hook.kind {
        case .webhook:
            return WebhookSender(
                url: try url(), key: try secret().map(SecretReader.webhookKey), timeout: hook.timeout, client: client)
        case .alertmanager:
            return AlertmanagerSender(
                hook: hook.name, url: try url(), timeout: hook.timeout, resend: hook.resend, client: client)
        case .pagerduty:
            guard let key = try secret() else {
                throw HookError(
                    "hook \(hook.name): a pagerduty hook needs its routing key as secret_env or secret_file")
            }
            if hook.url != nil { _ = try url() }
            return PagerDutySender(
                url: hook.url, routingKey: String(decoding: key, as: UTF8.self), timeout: hook.timeout, client: client)
        case .exec:
            guard let program = hook.command.first, program.hasPrefix("/") else {
                throw HookError("hook \(hook.name): an exec hook needs a command starting with an absolute path")
            }
            return ExecSender(hook: hook.name, command: hook.command, timeout: hook.timeout)
        }
    }
}
