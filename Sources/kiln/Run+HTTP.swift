import ArgumentParser
import KilnCommandLine
import KilnConfig
import KilnCore
import KilnGateway
import KilnServer
import Logging

extension KilnCommand.Run {
    /// The HTTP server of the config's `http:` block (nil without one), its tokens read; exits 1
    /// when its address is taken, naming it, before anything else starts.
    func httpServer(_ config: GatewayConfig, exposition: MetricsExposition, logger: Logger) throws -> HTTPServer? {
        guard let http = config.http else { return nil }
        var tokens: [String] = []
        if let path = http.tokenFile {
            switch HTTPFiles.tokens(path) {
            case .success(let read): tokens = read
            case .failure(let problem):
                printError("error: http: \(problem.message)")
                throw ExitCode(1)
            }
        }
        if let problem = HTTPServer.listenProblem(http) {
            printError("error: http: cannot listen on \(http.listenText): \(problem)")
            throw ExitCode(1)
        }
        return HTTPServer(config: http, tokens: BearerTokens(tokens), logger: logger) {
            exposition.registry.emit(into: &$0)
        }
    }
}
