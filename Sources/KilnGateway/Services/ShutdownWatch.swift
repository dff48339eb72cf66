import ServiceLifecycle

/// The last service of the group, so the first a graceful shutdown reaches: it tells the
/// gateway when the shutdown began, which starts the `shutdown_timeout` bound.
struct ShutdownWatch: Service {
    let began: @Sendable () -> Void

    func run() async throws {
        try? await gracefulShutdown()
        began()
    }
}
