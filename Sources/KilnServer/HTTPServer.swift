import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import KilnConfig
import KilnCore
import KilnGateway
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A failure to serve: listening (the address taken, no permission), or the TLS files.
public struct HTTPServerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The gateway's HTTP server (Hummingbird 2): the API, `/metrics`, the page. A `Service` of the
/// gateway's ServiceGroup (given to `Gateway` in `services:`, so it stops before the pipeline);
/// it opens ``readiness`` once it listens, which systemd's `READY=1` waits for.
public final class HTTPServer: Service, Sendable {
    public let config: HTTPConfig
    public let readiness = ReadinessGate(name: "http")
    let tokens: CurrentTokens
    let metrics: @Sendable (inout [UInt8]) -> Void
    let logger: Logger
    private let gateway = Mutex<Gateway?>(nil)

    /// - Parameters:
    ///   - tokens: the tokens of `token_file` (none: every route that needs one answers 401).
    ///   - metrics: appends the Prometheus exposition text to the bytes given (see `ExpositionCache`).
    public init(
        config: HTTPConfig, tokens: BearerTokens, logger: Logger,
        metrics: @escaping @Sendable (inout [UInt8]) -> Void
    ) {
        self.config = config
        self.tokens = CurrentTokens(tokens)
        self.logger = logger
        self.metrics = metrics
    }

    /// The gateway the routes read and command; before ``run()``.
    public func attach(_ gateway: Gateway) { self.gateway.withLock { $0 = gateway } }

    public func run() async throws {
        guard let gateway = self.gateway.withLock({ $0 }) else {
            throw HTTPServerError("http: no gateway attached to the server")
        }
        // A client that goes away mid-export closes the pipe the export writes into: that must
        // be an error (EPIPE), not the end of the process. Programs Kiln starts get the
        // default back (KilnProcess resets it).
        signal(SIGPIPE, SIG_IGN)
        let api = API(gateway: gateway, tokens: tokens, logger: logger, metrics: metrics)
        gateway.onReload { [tokens, logger] reloaded in Self.reread(tokens, of: reloaded.config, logger: logger) }
        let router = Router(context: APIContext.self)
        api.addRoutes(to: router)
        var server: HTTPServerBuilder = .http1(
            configuration: .init(
                // The idle timer is the fast path's: Hummingbird's would not see its requests.
                additionalChannelHandlers: TagsFastPath.handlers(idleTimeout: .seconds(60)) { api.fastTags($0) },
                idleTimeout: nil,
                httpDecoderConfiguration: .init(
                    maxHeaderFieldSize: 16 * 1024, maxHeaderListSize: 64 * 1024, maxHeaderFieldCount: 100)))
        if let tls = config.tls {
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(tls.certificate).map {
                    NIOSSLCertificateSource.certificate($0)
                }
                let key = try NIOSSLPrivateKey(file: tls.key, format: .pem)
                let settings = TLSConfiguration.makeServerConfiguration(
                    certificateChain: chain, privateKey: .privateKey(key))
                server = try .tls(server, tlsConfiguration: settings)
            } catch {
                throw HTTPServerError("http: cannot use tls cert '\(tls.certificate)' and key '\(tls.key)': \(error)")
            }
        }
        let address = config.listenText
        let readiness = self.readiness
        let logger = self.logger
        let scheme = config.tls == nil ? "http" : "https"
        let loops = try await Self.eventLoops(nice: gateway.config.realtime.serviceNice, logger: logger)
        let app = Application(
            router: router, server: server,
            configuration: ApplicationConfiguration(
                address: .hostname(config.host, port: config.port), serverName: nil, reuseAddress: true),
            onServerRunning: { _ in
                readiness.open()
                logger.notice("serving the API", metadata: ["kiln.http": "\(scheme)://\(address)"])
            },
            eventLoopGroupProvider: .shared(loops),
            logger: DeferredMetadataLogHandler.wrap(logger))
        do {
            try await app.run()
        } catch {
            try? await loops.shutdownGracefully()
            guard readiness.isOpen else {
                throw HTTPServerError("http: cannot listen on \(address): \(error)")
            }
            throw HTTPServerError("http: the server on \(address) failed: \(error)")
        }
        try? await loops.shutdownGracefully()
    }

    /// After a reload: the token file's tokens replace the old ones (the reload was refused if
    /// the file was unusable; one that broke since keeps the old tokens, with an error).
    static func reread(_ tokens: CurrentTokens, of config: GatewayConfig, logger: Logger) {
        guard let path = config.http?.tokenFile else { return }
        switch HTTPFiles.tokens(path) {
        case .success(let read):
            tokens.replace(with: BearerTokens(read))
            logger.notice(
                "http: tokens read again", metadata: ["kiln.token_file": "\(path)", "kiln.tokens": "\(read.count)"])
        case .failure(let problem):
            logger.error("http: tokens kept: \(problem.message)", metadata: ["kiln.token_file": "\(path)"])
        }
    }

    /// The server's own event loops, a thread per CPU named `kiln-http`, at `nice`
    /// (`RealtimeConfig.serviceNice`; nil: the process's): not NIO's process-wide singleton,
    /// which the hooks' HTTP client shares.
    private static func eventLoops(nice: Int32?, logger: Logger) async throws -> MultiThreadedEventLoopGroup {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        for loop in group.makeIterator() {
            let niced = try await loop.submit {
                OSThread.nameCurrent("kiln-http")
                return nice.map { OSThread.setCurrentNice($0) } ?? true
            }.get()
            if !niced, let nice {
                logger.warning("http: cannot set the server threads' nice to \(nice) (needs CAP_SYS_NICE)")
                break
            }
        }
        return group
    }
}
